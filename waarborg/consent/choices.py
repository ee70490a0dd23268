"""A person's own choices, from the privacy center: every consent purpose with its state and the
exact words, withdrawn or given there, and this browser's cookie choice.

No account. The person gives an e-mail address; if it is on file we mail a link (only its
SHA-256 is kept; it works once, for ``LINK_HOURS``), otherwise a mail saying no data is linked
to it. The answer on the page is the same either way. Using the link opens a short session
(``SESSION_MINUTES``): a random token in a cookie, its SHA-256 on the link's row, so several
changes need one link and the session can be ended on the server.

Reads go through the gate and are audited: the address by its blind index under the purpose
that answers requests (``gate_requester_find``: ``rights.lookup``), each purpose's standing as a
gate check and the ledger's events as a ledger read, both as the privacy center. Changes are
the gate's ledger writes (a proof row and an audit entry in one transaction).

Giving consent here counts as confirmed (double opt-in): the session exists only because the
person opened a single-use link we mailed, minutes ago, to the address on file, which is what
the double opt-in mail proves. The ledger keeps both rows (given, then confirmed), like every
other double opt-in, with the privacy center as their source."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waarborg.consent.banner import banner_current
from waarborg.consent.models import ChoicesLink, ConsentText, CookieChoice
from waarborg.consent.texts import consent_text, consent_text_keep
from waarborg.core.actors import Actor
from waarborg.core.counters import limits_take, secret_digest
from waarborg.core.errors import Refusal, Text
from waarborg.core.i18n import Lang
from waarborg.core.mail import mail_send
from waarborg.gate.ledger import LedgerEvent, gate_ledger
from waarborg.gate.records import gate_email_key, gate_event
from waarborg.gate.requesters import gate_requester_find
from waarborg.gate.rules import REASONS
from waarborg.gate.services import gate_check
from waarborg.gate.writes import gate_consent_confirm, gate_consent_record
from waarborg.policy.schema import localized
from waarborg.policy.selectors import policy_current

logger = logging.getLogger("waarborg.consent")

LINK_HOURS = 24  # the mailed link works once, this long
SESSION_MINUTES = 30  # after the link is used: changes without a new link, this long
LINKS_PER_ADDRESS = 5  # a day: as the rights form, too few to mail-bomb anyone
LINKS_PER_CLIENT = 20  # a day, from one client address
WINDOW = 24 * 3600
KEEP = timedelta(days=2)  # a link's row outlives its link (a day) and its session (30 minutes)
OPEN_PATH = "/privacy/center/choices/open/"
SOURCE = "center:choices"  # the proof rows' source: the privacy center's choices page
# Who asks whether an address is on file: the person at the form, nobody we know yet.
ASKER = Actor(kind="subject", name="choices-form")
BAD_LINK = _(
    "This link does not work: it was used already, it expired or it is incomplete. Ask for a "
    "new one on the privacy center's page."
)
SESSION_ENDED = _("Your session has ended. Ask for a new link to see and change your choices.")


def consent_purposes() -> list[str]:
    """The purposes of the policy in force that rest on consent, in the policy's order."""
    purposes = policy_current().policy.purposes
    return [k for k, spec in purposes.items() if spec.basis == "consent" and spec.consent]


def center_actor() -> Actor:
    """The privacy center acting for the person of a session: it reads and changes only the
    consent purposes, and only for the person whose address the link went to."""
    return Actor(kind="system", name="privacy-center", scopes=frozenset(consent_purposes()))


# ---- asking for a link --------------------------------------------------------------------


def _count(address: str, client: str) -> None:
    """Count one link for the address and the client; refused once either is at its limit for
    the day."""
    counters = [("address", address, LINKS_PER_ADDRESS)]
    if client:
        counters.append(("client", client, LINKS_PER_CLIENT))
    if not limits_take("choices-links", counters, window=WINDOW):
        message = _(
            "Too many links were asked for from here or for this address; try again tomorrow."
        )
        raise Refusal("rate_limited", message)


def choices_link_request(*, email: str, lang: Lang, client: str = "") -> None:
    """Mail a link to the person's choices if the address is on file, else a mail saying no data
    is linked to it; the same for the caller either way (nothing returned). Refused only for an
    address that is not one (``bad_email``) or too many links (``rate_limited``)."""
    email = " ".join(email.split())
    address = gate_email_key(email) if len(email) <= 320 else None
    if address is None:
        message = _("This is not a valid e-mail address.")
        raise Refusal("bad_email", message, {"email": message})
    _count(address, client)
    now = timezone.now()
    with transaction.atomic():
        # Rows of links and sessions long over go (they are kept only while they can work).
        ChoicesLink.objects.filter(created_at__lt=now - KEEP).delete()
        found = gate_requester_find(actor=ASKER, email=email).subject_id
        if found is None:
            transaction.on_commit(lambda: _send_quietly(to=email, lang=lang, link=None))
            return
        # A new link replaces the older ones not used yet.
        ChoicesLink.objects.filter(subject_id=found, used_at__isnull=True).update(expires_at=now)
        code = secrets.token_urlsafe(24)
        link = ChoicesLink.objects.create(
            subject_id=found,
            lang=lang,
            code_digest=secret_digest(code),
            created_at=now,
            expires_at=now + timedelta(hours=LINK_HOURS),
        )
        gate_event(actor=ASKER, action="choices.link", subject_id=found, detail={"link": link.pk})
        transaction.on_commit(lambda: _send_quietly(to=email, lang=lang, link=(link.pk, code)))


def _send_quietly(*, to: str, lang: Lang, link: tuple[int, str] | None) -> None:
    """Send the mail after the commit; a failure is logged (the person can ask again)."""
    try:
        choices_mail_send(to=to, lang=lang, link=link)
    except Exception:
        logger.exception("choices mail not sent")


def choices_mail_send(*, to: str, lang: Lang, link: tuple[int, str] | None) -> None:
    controller = policy_current().policy.controller
    domain = controller.contact_email.rpartition("@")[2] or "localhost"
    context: dict[str, Any] = {"controller": controller, "link_hours": LINK_HOURS}
    if link is None:
        template, message_id = "consent/mail/choices_no_data", f"<choices-{secrets.token_hex(8)}"
    else:
        link_id, code = link
        base = str(settings.WAARBORG_PUBLIC_URL).rstrip("/")
        context["link"] = f"{base}{OPEN_PATH}{code}?lang={lang}"
        template, message_id = "consent/mail/choices", f"<choices-{link_id}"
    mail_send(
        to=to,
        template=template,
        language=lang,
        context=context,
        sender=(controller.trade_name, controller.contact_email),
        message_id=f"{message_id}@{domain}>",
    )
    if link is not None:
        ChoicesLink.objects.filter(id=link[0]).update(sent_at=timezone.now())


# ---- the link and the session -------------------------------------------------------------


def _usable(code: str, now: datetime) -> Any:
    return ChoicesLink.objects.filter(
        code_digest=secret_digest(code), used_at__isnull=True, expires_at__gt=now
    )


def choices_link_language(*, code: str) -> Lang | None:
    """The language of a link that still works, or None: for the page with the button (opening
    the link changes nothing, because mail scanners open links)."""
    link = _usable(code, timezone.now()).only("lang").first()
    if link is None:
        return None
    return "en" if link.lang == "en" else "nl"


@dataclass(frozen=True)
class Session:
    token: str  # for the person's cookie; only its SHA-256 is kept
    subject_id: UUID
    lang: Lang
    until: datetime


def choices_open(*, code: str) -> Session:
    """Use the link (once): a session for its person, until ``SESSION_MINUTES`` from now.
    Refused (``bad_link``) for a link used, expired or never made."""
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        link = _usable(code, now).select_for_update().first()
        if link is None:
            raise Refusal("bad_link", BAD_LINK)
        link.used_at = now
        link.session_digest = secret_digest(token)
        link.session_until = now + timedelta(minutes=SESSION_MINUTES)
        link.save(update_fields=["used_at", "session_digest", "session_until"])
        gate_event(
            actor=ASKER, action="choices.open", subject_id=link.subject_id, detail={"link": link.pk}
        )
    lang: Lang = "en" if link.lang == "en" else "nl"
    return Session(token=token, subject_id=link.subject_id, lang=lang, until=link.session_until)


def choices_session(*, token: str) -> Session | None:
    """The session this browser's token opened, while it lasts; None otherwise."""
    if not token or len(token) > 100:
        return None
    link = (
        ChoicesLink.objects.filter(
            session_digest=secret_digest(token), session_until__gt=timezone.now()
        )
        .only("subject_id", "lang", "session_until")
        .first()
    )
    if link is None or link.session_until is None:
        return None
    lang: Lang = "en" if link.lang == "en" else "nl"
    return Session(token=token, subject_id=link.subject_id, lang=lang, until=link.session_until)


def choices_end(*, token: str) -> None:
    """End the session now (the page's "Close" button): its token stops working."""
    if token:
        ChoicesLink.objects.filter(session_digest=secret_digest(token)).update(
            session_digest="", session_until=None
        )


def _session(token: str) -> Session:
    session = choices_session(token=token)
    if session is None:
        raise Refusal("session_ended", SESSION_ENDED)
    return session


# ---- reading the choices ------------------------------------------------------------------


@dataclass(frozen=True)
class PurposeChoice:
    purpose: str
    name: str
    state: str  # given | pending | withdrawn | objected | customer | never | unavailable
    since: datetime | None  # when the state began (the newest event about it)
    text: str  # the exact words: those agreed to when given, else those offered now
    text_version: str
    policy_version: str  # of the event that gave the state ("" when none)
    offer_version: str  # the version of the text offered now (what "give" sends)
    can_withdraw: bool
    can_give: bool
    reason: Text = ""  # why the gate refuses, in words, for "unavailable"


_KIND_STATE = {
    "consent_given": "pending",
    "consent_confirmed": "given",
    "consent_withdrawn": "withdrawn",
    "objected": "objected",
}


def _words(version: str, purpose: str, lang: Lang) -> tuple[str, str]:
    """The words of a text version (kept when it was shown); the current text when unknown."""
    kept = ConsentText.objects.filter(digest=version, purpose=purpose).first() if version else None
    if kept is not None:
        return kept.text, kept.digest
    now = consent_text(purpose=purpose, lang=lang)
    return now.text, now.version


def _choice(purpose: str, events: list[LedgerEvent], reason: str, lang: Lang) -> PurposeChoice:
    spec = policy_current().policy.purposes[purpose]
    mine = [e for e in events if e.purpose == purpose and e.kind in _KIND_STATE]
    last = mine[-1] if mine else None
    state = _KIND_STATE[last.kind] if last else "never"
    if not reason:  # the gate allows it: in force
        state = "given" if state in ("given", "pending") else "customer"
        if last is not None and last.kind == "consent_given":
            state = "given"  # a purpose without double opt-in is in force once given
    elif reason not in ("no_consent", "objected"):
        state = "unavailable"
    given = next((e for e in reversed(mine) if e.kind == "consent_given"), None)
    offer = consent_text(purpose=purpose, lang=lang)
    if state in ("given", "pending") and given is not None:
        text, version = _words(given.text_version, purpose, lang)
    else:
        text, version = offer.text, offer.version
    return PurposeChoice(
        purpose=purpose,
        name=localized(spec.name, lang),
        state=state,
        since=last.at if last else None,
        text=text,
        text_version=version,
        policy_version=(last.policy_digest[:12] if last else ""),
        offer_version=offer.version,
        can_withdraw=state in ("given", "pending", "customer") or reason == "restricted",
        can_give=state in ("never", "withdrawn", "objected", "pending"),
        reason=REASONS.get(reason, "") if state == "unavailable" else "",
    )


def choices_read(*, token: str, lang: Lang) -> list[PurposeChoice]:
    """Every consent purpose of the policy with the person's state in it, through the gate
    (each purpose's check and the ledger, audited). Refused when the session ended, or when the
    person is erased. For a restricted person the gate reads no history: each purpose is shown
    as not available, and withdrawal stays possible (Art. 7(3): at any time)."""
    session = _session(token)
    actor = center_actor()
    events = gate_ledger(actor=actor, subject_id=session.subject_id, ledger="all")
    if not isinstance(events, list):
        if events.reason != "restricted":
            raise Refusal(events.reason, REASONS[events.reason])
        events = []
    return [
        _choice(
            p, events, gate_check(actor=actor, purpose=p, subject=session.subject_id).reason, lang
        )
        for p in consent_purposes()
    ]


# ---- changing them ------------------------------------------------------------------------


def _purpose(purpose: str) -> str:
    if purpose not in consent_purposes():
        raise Refusal("unknown_purpose", _("This purpose does not ask for consent."))
    return purpose


def choices_withdraw(*, token: str, purpose: str) -> None:
    """Withdraw consent for ``purpose`` at once (a proof row: channel web, source the center)."""
    session = _session(token)
    gate_consent_record(
        actor=center_actor(),
        subject_id=session.subject_id,
        purpose=_purpose(purpose),
        granted=False,
        text_version="",
        channel="web",
        source=SOURCE,
    )


def choices_give(*, token: str, purpose: str, version: str, lang: Lang) -> None:
    """Give consent for ``purpose`` with the text shown (``version``), confirmed at once: the
    session proves the person controls the address (see the module's docstring). Refused
    (``consent_text_changed``) when the text changed since the page showed it."""
    session = _session(token)
    text = consent_text(purpose=_purpose(purpose), lang=lang)
    if text.version != version:
        message = _("The consent text has changed; please read it again.")
        raise Refusal("consent_text_changed", message)
    actor = center_actor()
    with transaction.atomic():
        consent_text_keep(text=text, lang=lang)
        state = gate_consent_record(
            actor=actor,
            subject_id=session.subject_id,
            purpose=purpose,
            granted=True,
            text_version=text.version,
            channel="web",
            source=SOURCE,
        )
        if state.confirmation_code:
            gate_consent_confirm(
                actor=actor,
                subject_id=session.subject_id,
                purpose=purpose,
                code=state.confirmation_code,
            )


# ---- this browser's cookie choice ---------------------------------------------------------


@dataclass(frozen=True)
class BrowserChoice:
    accepted: list[str]  # category names, in the page's language
    refused: list[str]
    chosen_at: datetime
    version: str
    current: bool  # made on the banner in force now
    gpc: bool


def cookie_choice_now(*, cookie: str, lang: Lang) -> BrowserChoice | None:
    """The newest choice stored for the visitor id in this browser's own ``wb_consent`` cookie
    (its part before the first dot), or None when there is none.

    Not audited, on purpose: it shows a browser the choice it made itself, under the random id it
    keeps itself, and an audit entry would put that id beside the person's own entries of the
    same minute, linking what we keep apart (cookie choices belong to the browser, not to a
    person)."""
    visitor = cookie.split(".", 1)[0]
    if len(visitor) != 32 or any(c not in "0123456789abcdef" for c in visitor):
        return None
    row = (
        CookieChoice.objects.filter(visitor=visitor)
        .select_related("version")
        .order_by("-chosen_at", "-id")
        .first()
    )
    if row is None:
        return None
    content = row.version.content[lang]
    names = {c["key"]: c["name"] for c in content["categories"]}
    return BrowserChoice(
        accepted=[names.get(k, k) for k in row.accepted],
        refused=[names.get(k, k) for k in row.refused],
        chosen_at=row.chosen_at,
        version=row.version.digest,
        current=row.version.digest == banner_current()[0],
        gpc=row.gpc,
    )
