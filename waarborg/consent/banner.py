"""The cookie banner as the policy's cookie catalogue makes it: what it says, what it offers and
its version.

The banner is built from the same ``cookies`` and ``cookie_categories`` of the policy as the
statement's cookie table, so the two cannot disagree. Its version is a digest of what it shows in
both languages (the catalogue and the banner's own texts): when either changes, every visitor is
asked again.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from waarborg.core.i18n import LANGS, Lang
from waarborg.policy.schema import Cookie, Policy, localized
from waarborg.policy.selectors import policy_current
from waarborg.policy.words import COOKIE_KIND, PARTY, in_sentence, join_words, word

# The functional cookie (listed in the catalogue) in which the script keeps the visitor's
# random identifier and choice; a choice is asked again after this many months.
CONSENT_COOKIE = "wb_consent"
RENEW_MONTHS = 6

TEXTS: dict[str, Promise] = {
    "title": _("Cookies"),
    "more": _(
        "Refusing is as easy as accepting. You can change your choice at any time under "
        "“Cookie settings”."
    ),
    "policy": _("Read our cookie policy"),
    "accept": _("Accept"),
    "refuse": _("Refuse"),
    "settings": _("Settings"),
    "save": _("Save my choice"),
    "legend": _("Choose per category"),
    "always_name": _("Needed for the site"),
    "always_description": _(
        "Cookies the site needs to work, and analytics with little privacy impact. They are "
        "always on: they need no consent."
    ),
    "cookies": _("Which cookies"),
    "gpc": _(
        "Your browser sends the Global Privacy Control signal. We take it as a refusal: cookies "
        "that need consent are set only if you choose them here."
    ),
    "failed": _("Your choice could not be saved. Please try again."),
}
INTRO = _(
    "We use cookies the site needs to work, and analytics with little privacy impact; these "
    "need no consent. With your consent we also use cookies for %(categories)s."
)
INTRO_NOTHING_TO_ASK = _(
    "We only use cookies the site needs to work, and analytics with little privacy impact; "
    "these need no consent."
)


def _cookie(cookie: Cookie, lang: Lang) -> dict[str, str]:
    return {
        "name": cookie.name,
        "purpose": localized(cookie.purpose, lang),
        "lifetime": localized(cookie.lifetime, lang),
        "party": word(PARTY, cookie.party),
        "kind": word(COOKIE_KIND, cookie.kind),
    }


def banner_offer(policy: Policy, lang: Lang) -> dict[str, Any]:
    """What the banner shows in ``lang``: its texts, the categories it asks consent for (only
    those with a cookie in the catalogue, in the policy's order, each with its cookies) and the
    cookies that are always on."""
    with translation.override(lang):
        categories: list[dict[str, Any]] = []
        for key, category in policy.cookie_categories.items():
            cookies = [c for c in policy.cookies if c.consent_category == key]
            if cookies:
                categories.append(
                    {
                        "key": key,
                        "name": localized(category.name, lang),
                        "description": localized(category.description, lang),
                        "cookies": [_cookie(c, lang) for c in cookies],
                    }
                )
        names = join_words(in_sentence(c["name"]) for c in categories)
        texts = {key: str(text) for key, text in TEXTS.items()}
        texts["intro"] = str(INTRO) % {"categories": names} if names else str(INTRO_NOTHING_TO_ASK)
        always = [_cookie(c, lang) for c in policy.cookies if c.kind != "consent_required"]
        return {"texts": texts, "categories": categories, "always": always}


_lock = threading.Lock()
_built: dict[str, tuple[str, dict[str, Any]]] = {}  # policy digest -> (version, content)


def banner_current() -> tuple[str, dict[str, Any]]:
    """The version of the banner for the policy in force, and its content in both languages
    (what a ``BannerVersion`` stores). Built once per policy version and process."""
    loaded = policy_current()
    built = _built.get(loaded.digest)
    if built is not None:
        return built
    content: dict[str, Any] = {lang: banner_offer(loaded.policy, lang) for lang in LANGS}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    version = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    with _lock:
        if len(_built) >= 16:
            _built.clear()
        _built[loaded.digest] = (version, content)
    return version, content


def banner_categories(content: dict[str, Any]) -> list[str]:
    """The keys of the categories a banner asks consent for (the same in both languages)."""
    return [c["key"] for c in content["nl"]["categories"]]
