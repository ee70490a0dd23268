"""Writes of the cookie banner: a visitor's choice, stored as proof and audited."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waarborg.audit.services import audit_record
from waarborg.consent.banner import banner_categories, banner_current
from waarborg.consent.models import BannerVersion, CookieChoice
from waarborg.core.actors import Actor
from waarborg.core.errors import Refusal, text_format
from waarborg.core.i18n import Lang
from waarborg.policy.selectors import policy_current

VISITOR = re.compile(r"^[0-9a-f]{32}$")  # secrets.token_hex(16): never starts with "-"
# Who acts when a visitor chooses: nobody we know, only the random id in their cookie.
VISITOR_ACTOR = Actor(kind="subject", name="cookie-visitor")


@dataclass(frozen=True)
class Choice:
    """What the banner sends: ``visitor`` is empty on a first choice (an id is made then)."""

    visitor: str
    accepted: list[str]
    version: str
    method: str
    gpc: bool
    site: str
    lang: Lang


def _checked(choice: Choice, offered: list[str]) -> list[str]:
    """The accepted categories in the banner's order, or a refusal saying what does not fit."""
    if choice.visitor and not VISITOR.match(choice.visitor):
        raise Refusal("bad_visitor", _("The visitor identifier is not one this banner gave."))
    unknown = sorted(set(choice.accepted) - set(offered))
    if unknown:
        message = text_format(_("The banner offers no category %(name)s."), name=unknown[0])
        raise Refusal("unknown_category", message)
    accepted = [key for key in offered if key in choice.accepted]
    expected = {
        CookieChoice.Method.ACCEPT: offered,
        CookieChoice.Method.REFUSE: [],
        CookieChoice.Method.GPC: [],
    }.get(CookieChoice.Method(choice.method), accepted)
    if accepted != expected or (choice.method == CookieChoice.Method.GPC and not choice.gpc):
        raise Refusal("bad_choice", _("The categories do not match the button chosen."))
    return accepted


def cookie_choice_record(*, choice: Choice) -> CookieChoice:
    """Store one choice of the banner in force, with its audit entry in the same transaction.

    A choice made on a banner that has changed since it was shown is refused
    (``banner_changed``): the visitor is shown the new banner and chooses again, so every proof
    row names the words the visitor actually saw."""
    if choice.method not in CookieChoice.Method.values:
        raise Refusal("bad_choice", _("The categories do not match the button chosen."))
    version, content = banner_current()
    if choice.version != version:
        raise Refusal("banner_changed", _("The cookie banner has changed; please choose again."))
    offered = banner_categories(content)
    accepted = _checked(choice, offered)
    now = timezone.now()
    with transaction.atomic():
        shown, _created = BannerVersion.objects.get_or_create(
            digest=version, defaults={"content": content, "first_chosen_at": now}
        )
        row = CookieChoice.objects.create(
            visitor=choice.visitor or secrets.token_hex(16),
            version=shown,
            accepted=accepted,
            refused=[key for key in offered if key not in accepted],
            method=choice.method,
            gpc=choice.gpc,
            site=choice.site[:200],
            lang=choice.lang,
            policy_digest=policy_current().digest,
            chosen_at=now,
        )
        audit_record(
            actor=VISITOR_ACTOR,
            action="cookie_choice",
            decision="recorded",
            detail=_detail(row),
        )
    return row


def _detail(row: CookieChoice) -> dict[str, object]:
    return {
        "visitor": row.visitor,
        "accepted": row.accepted,
        "refused": row.refused,
        "method": row.method,
        "gpc": row.gpc,
        "site": row.site,
        "version": row.version.digest,
    }


def cookie_proof_read(*, actor: Actor, visitor: str) -> list[CookieChoice]:
    """Every choice of one visitor, oldest first, for whoever must prove it (the privacy
    officer, at the visitor's or the AP's request); the look itself is audited."""
    with transaction.atomic():
        rows = list(
            CookieChoice.objects.filter(visitor=visitor)
            .select_related("version")
            .order_by("chosen_at", "id")
        )
        audit_record(
            actor=actor,
            action="cookie_proof_read",
            decision="shown",
            detail={"visitor": visitor, "rows": len(rows)},
        )
    return rows
