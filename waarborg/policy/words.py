"""Words for the coded values of a policy (legal basis, retention, kinds of recipient, ...).

These are texts of the software, so they are English msgids translated with gettext
(``waarborg/policy/locale``); each function answers in the active language. The policy's own
texts (``{nl, en}`` pairs) are read with ``waarborg.policy.schema.localized``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from waarborg.policy.schema import Retention

BASIS: dict[str, Promise] = {
    "contract": _("performance of a contract"),
    "consent": _("consent"),
    "legitimate_interest": _("legitimate interest"),
    "legal_obligation": _("legal obligation"),
    "vital_interest": _("vital interest"),
    "public_task": _("public task"),
}

BASIS_EXPLAINED: dict[str, Promise] = {
    "contract": _("We need this data to carry out our contract with you."),
    "consent": _(
        "We do this only if you have explicitly consented. You can withdraw consent at any time, "
        "as easily as you gave it."
    ),
    "legitimate_interest": _(
        "We have a legitimate interest in this and have weighed it against your interests. You "
        "may object."
    ),
    "legal_obligation": _("The law obliges us to do this."),
    "vital_interest": _("This is needed to protect someone's life or health."),
    "public_task": _("This is needed for a task in the public interest."),
}

# Whole phrases with the period in them, so a translation may put it where its language wants.
EVENT: dict[str, Promise] = {
    "collection": _("%(period)s after collection"),
    "end_of_contract": _("%(period)s after the contract ends"),
    "end_of_financial_year": _("%(period)s after the end of the financial year"),
    "consent_withdrawn": _("%(period)s after consent is withdrawn"),
    "last_activity": _("%(period)s after the last activity"),
    "visit": _("%(period)s after the visit"),
    "claim_settled": _("%(period)s after the claim is settled"),
}

KIND: dict[str, Promise] = {
    "processor": _("processor"),
    "third_party": _("third party"),
    "authority": _("authority"),
}

COOKIE_KIND: dict[str, Promise] = {
    "functional": _("functional, no consent needed"),
    "exempt_analytics": _("analytics with little privacy impact, no consent needed"),
    "consent_required": _("only with your consent"),
}

PARTY: dict[str, Promise] = {
    "first": pgettext_lazy("cookie set by", "first party"),
    "third": pgettext_lazy("cookie set by", "third party"),
}
REQUIREMENT: dict[str, Promise] = {"required": _("required"), "optional": _("optional")}


def word(table: dict[str, Promise], code: str) -> str:
    """The word for ``code`` in the active language; the code itself if the table lacks it."""
    found = table.get(code)
    return str(found) if found is not None else code


def duration_text(retention: Retention) -> str:
    parts = []
    for amount, forms in (
        (retention.years, ngettext("%(count)d year", "%(count)d years", retention.years)),
        (retention.months, ngettext("%(count)d month", "%(count)d months", retention.months)),
        (retention.days, ngettext("%(count)d day", "%(count)d days", retention.days)),
    ):
        if amount:
            parts.append(forms % {"count": amount})
    return join_words(parts)


def retention_text(retention: Retention) -> str:
    """``2 years after the contract ends``."""
    return str(EVENT[retention.starts]) % {"period": duration_text(retention)}


def join_words(items: Iterable[str]) -> str:
    """``a, b and c`` in the active language."""
    words = list(items)
    if len(words) < 2:
        return "".join(words)
    return gettext("%(items)s and %(last)s") % {"items": ", ".join(words[:-1]), "last": words[-1]}


def in_sentence(name: str) -> str:
    """A name as it reads inside a sentence: ``Naam`` -> ``naam``; ``IP-adres`` and ``URL``
    keep their capitals (a second capital letter marks an abbreviation)."""
    if len(name) > 1 and name[1].isupper():
        return name
    return name[:1].lower() + name[1:]


def sentence(names: Iterable[str], separator: str | None = None) -> str:
    """Names listed as one sentence fragment: ``Naam, adresgegevens en e-mailadres`` (or joined
    by ``separator``, for names that contain "and" themselves)."""
    words = [in_sentence(n) for n in names]
    text = join_words(words) if separator is None else separator.join(words)
    return text[:1].upper() + text[1:]
