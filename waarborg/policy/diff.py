"""What changed between two versions of a policy, in words a reader follows.

Works on the stored documents (plain JSON), not on models, so a version recorded under an older
format can still be compared. Named entries (purposes, cookies, ...) are matched by key or name,
never by position: removing one cookie shows one removed cookie, not every later one "changed".
A whole entry added or removed is one line; inside an entry each changed value is one line, with
keys and coded values (legal basis, retention, category keys) turned into the reader's words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import ValidationError

from waarborg.policy.schema import Retention, localized
from waarborg.policy.words import BASIS, COOKIE_KIND, KIND, PARTY, REQUIREMENT, retention_text, word

# Sections whose entries are named, with the word for one entry.
_ENTRY: dict[str, Promise] = {
    "categories": gettext_lazy("Category"),
    "subject_kinds": gettext_lazy("Kind of data subject"),
    "fields": gettext_lazy("Field"),
    "products": gettext_lazy("Product"),
    "purposes": gettext_lazy("Purpose"),
    "recipients": gettext_lazy("Recipient"),
    "disclosure_grounds": gettext_lazy("Ground for disclosure"),
    "cookie_categories": gettext_lazy("Cookie category"),
    "cookies": gettext_lazy("Cookie"),
    "roles": gettext_lazy("Role"),
    "security_measures": gettext_lazy("Security measure"),
}

# The words for the keys of the policy format, as a reader names them inside a change.
_WORDS: dict[str, Promise] = {
    "schema_version": gettext_lazy("format version"),
    "title": gettext_lazy("Title"),
    "controller": gettext_lazy("Controller"),
    "legal_name": gettext_lazy("legal name"),
    "trade_name": gettext_lazy("trade name"),
    "contact_email": gettext_lazy("e-mail address"),
    "address": gettext_lazy("address"),
    "country": gettext_lazy("country"),
    "supervisory_authority": gettext_lazy("supervisory authority"),
    "url": gettext_lazy("website"),
    "complaint_url": gettext_lazy("complaint page"),
    "visit_log": gettext_lazy("Visit logging"),
    "ip_truncate_after_hours": gettext_lazy("IP address truncated after (hours)"),
    "name": gettext_lazy("name"),
    "label": gettext_lazy("label"),
    "description": gettext_lazy("description"),
    "category": gettext_lazy("category"),
    "paid": gettext_lazy("paid"),
    "fields": gettext_lazy("fields"),
    "basis": gettext_lazy("legal basis"),
    "legal_reference": gettext_lazy("legal reference"),
    "categories": gettext_lazy("data"),
    "subject_kinds": gettext_lazy("data subjects"),
    "retention": gettext_lazy("retention period"),
    "assumption": gettext_lazy("assumption"),  # the former name of to_confirm, in old versions
    "to_confirm": gettext_lazy("to be confirmed"),
    "recipients": gettext_lazy("recipients"),
    "consent": gettext_lazy("consent"),
    "explicit": gettext_lazy("explicit"),
    "double_opt_in": gettext_lazy("double opt-in"),
    "channels": gettext_lazy("channels"),
    "direct_marketing": gettext_lazy("direct marketing"),
    "balancing_test": gettext_lazy("balancing test"),
    "interest": gettext_lazy("interest"),
    "necessity": gettext_lazy("necessity"),
    "balance": gettext_lazy("balance"),
    "kind": gettext_lazy("kind"),
    "agreement": gettext_lazy("data processing agreement"),
    "signed": gettext_lazy("signed"),
    "reviewed": gettext_lazy("reviewed"),
    "sub_processors": gettext_lazy("sub-processors"),
    "only_on_lawful_request": gettext_lazy("only on a lawful request"),
    "transfer_safeguard": gettext_lazy("transfer safeguard"),
    "purpose": gettext_lazy("purpose"),
    "party": gettext_lazy("set by"),
    "lifetime": gettext_lazy("lifetime"),
    "consent_category": gettext_lazy("cookie category"),
    "purposes": gettext_lazy("purposes"),
}

# Coded values shown in words, by the key that holds them.
_CODES: dict[str, dict[str, Promise]] = {
    "basis": BASIS,
    "kind": {**KIND, **COOKIE_KIND},
    "party": PARTY,
}
# Keys whose values are keys of another section, shown by that entry's name.
_REFERS = {
    "categories": "categories",
    "category": "categories",
    "consent_category": "cookie_categories",
    "purposes": "purposes",
    "recipients": "recipients",
    "subject_kinds": "subject_kinds",
}

_MISSING: Any = object()


@dataclass(frozen=True)
class Change:
    where: str
    old: str | None
    new: str | None

    @property
    def kind(self) -> str:
        if self.old is None:
            return "added"
        return "removed" if self.new is None else "changed"


class _Differ:
    def __init__(self, old: dict[str, Any], new: dict[str, Any], lang: str) -> None:
        self.old, self.new, self.lang = old, new, lang
        self.changes: list[Change] = []

    def term(self, key: str | int) -> str:
        return word(_WORDS, str(key))

    def name(self, section: str, key: str) -> str:
        """The reader's name of an entry, from the new version or else the old one."""
        for doc in (self.new, self.old):
            entry = _entries(section, doc.get(section)).get(key)
            if isinstance(entry, dict):
                title: Any = entry.get("name") or entry.get("label")
                if _is_text(title):
                    return localized(title, self.lang)
                if isinstance(title, str):
                    return title
                if _is_text(entry):
                    return localized(entry, self.lang)
        return key

    def show(self, value: Any, key: str = "") -> str:
        if value is None or value == [] or value == {}:
            return "—"
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if _is_text(value):
            return localized(value, self.lang)
        if isinstance(value, list):
            return ", ".join(self.show(v, key) for v in value)
        if isinstance(value, dict):
            if key == "fields":
                return ", ".join(
                    f"{self.name('fields', f)} ({self.show(n, 'need')})" for f, n in value.items()
                )
            return "; ".join(self.show(v, k) for k, v in value.items() if v not in (None, []))
        if isinstance(value, str):
            if key in _REFERS:
                return self.name(_REFERS[key], value)
            if key in _CODES and value in _CODES[key]:
                return word(_CODES[key], value)
            if key == "need" and value in REQUIREMENT:
                return word(REQUIREMENT, value)
        return str(value)

    def record(self, where: list[str], old: Any, new: Any, key: str = "") -> None:
        self.changes.append(
            Change(
                where=" › ".join(where),
                old=None if old is _MISSING else self.show(old, key),
                new=None if new is _MISSING else self.show(new, key),
            )
        )

    def section(self, key: str) -> None:
        a, b = self.old.get(key, _MISSING), self.new.get(key, _MISSING)
        if a == b:
            return
        if key not in _ENTRY:
            self.value([self.term(key)], key, a, b)
            return
        entry = str(_ENTRY[key])
        before, after = _entries(key, a), _entries(key, b)
        for name in _union(before, after):
            x, y = before.get(name, _MISSING), after.get(name, _MISSING)
            if x == y:
                continue
            if x is _MISSING or y is _MISSING:
                title = self.name(key, name)
                self.record(
                    [entry],
                    _MISSING if x is _MISSING else title,
                    _MISSING if y is _MISSING else title,
                )
            else:
                self.value([f"{entry} “{self.name(key, name)}”"], "", x, y)

    def value(self, where: list[str], key: str, a: Any, b: Any) -> None:
        if key == "retention" and isinstance(a, dict) and isinstance(b, dict):
            self.retention(where, a, b)
        elif _is_mapping(a) and _is_mapping(b):
            for k in _union(a, b):
                x, y = a.get(k, None), b.get(k, None)
                if x == y:
                    continue
                if key == "fields":  # a product's or consent's fields: field -> required/optional
                    label = f"{str(_ENTRY['fields']).lower()} “{self.name('fields', k)}”"
                    self.record([*where[:-1], label], x, y, "need")
                else:
                    self.value([*where, self.term(k)], str(k), x, y)
        elif a != b:
            self.record(where, a, b, key)

    def retention(self, where: list[str], a: dict[str, Any], b: dict[str, Any]) -> None:
        period_a, period_b = self.period(a), self.period(b)
        if period_a != period_b:
            self.changes.append(Change(" › ".join(where), period_a, period_b))
        for k in ("legal_reference", "to_confirm", "assumption"):
            if a.get(k) != b.get(k):
                self.record([*where, self.term(k)], a.get(k), b.get(k), k)

    def period(self, value: dict[str, Any]) -> str:
        # Only the period itself: the notes beside it are compared on their own, and a version of
        # an older format may carry notes this format no longer knows.
        period = {k: value[k] for k in ("years", "months", "days", "from") if k in value}
        try:
            return retention_text(Retention.model_validate(period))
        except ValidationError:
            return json.dumps(value, ensure_ascii=False)


def _is_text(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"nl", "en"}


def _is_mapping(value: Any) -> bool:
    return isinstance(value, dict) and not _is_text(value)


def _union(a: dict[Any, Any], b: dict[Any, Any]) -> list[Any]:
    """Keys in the new order, then the keys only the old version had."""
    return [*b, *(k for k in a if k not in b)]


def _entries(section: str, value: Any) -> dict[str, Any]:
    """A section's entries by key; cookies by name and security measures by their text."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, list):
        return {}
    if section == "cookies":
        return {str(c.get("name")) if isinstance(c, dict) else str(c): c for c in value}
    return {json.dumps(item, sort_keys=True, ensure_ascii=False): item for item in value}


def policy_diff(old: dict[str, Any], new: dict[str, Any], lang: str) -> list[Change]:
    """What changed from ``old`` to ``new`` (policy documents), one line per change."""
    # A stored document is whatever an older format wrote; one that is not a mapping has no
    # sections to compare.
    old, new = (doc if isinstance(doc, dict) else {} for doc in (old, new))
    differ = _Differ(old, new, lang)
    with translation.override(lang):
        for key in _union(old, new):
            differ.section(key)
    return differ.changes
