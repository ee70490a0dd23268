"""Letters about a request: written as a row in the transaction of the change they tell about,
sent after it commits, marked sent so that no retry sends one twice.

Sending claims the row with one conditional UPDATE, so two senders (the request's own thread and
``waarborg rights send``) never both send it. A claim that never finished (the process died) is
tried again after CLAIM_TIMEOUT; only a crash between the mail server's acceptance and the UPDATE
that records it can send a letter twice, and both copies then carry one Message-ID."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from waarborg.core.actors import Actor
from waarborg.core.mail import mail_send
from waarborg.gate.requesters import gate_request_open
from waarborg.gate.requests import gate_request_grounds_read
from waarborg.policy.selectors import policy_current
from waarborg.rights.answers import answer_context
from waarborg.rights.codes import CONFIRM_DAYS, code_digest, status_code
from waarborg.rights.models import Letter, Request

logger = logging.getLogger("waarborg.rights")
LETTERS = Actor.job("rights_letters")
CLAIM_TIMEOUT = timedelta(minutes=10)
# The privacy center's page that confirms a request (a button, so a mail scanner that opens
# links confirms nothing): /privacy/center/confirm/<reference>/<code>.
CONFIRM_PATH = "/privacy/center/confirm"
# Where the requester follows the request and its clock: /privacy/center/status/<ref>/<code>.
STATUS_PATH = "/privacy/center/status"
TEMPLATES = "rights/mail/"


def letter_prepare(*, request: Request, kind: str) -> Letter:
    """Record that ``kind`` must be sent about ``request`` (in the caller's transaction) and send
    it once that transaction commits. A letter of that kind recorded before is not made again."""
    letter, _ = Letter.objects.get_or_create(
        request=request,
        kind=kind,
        defaults={"language": request.language, "created_at": timezone.now()},
    )
    transaction.on_commit(lambda: letter_send_quietly(letter_id=letter.pk))
    return letter


def letter_send_quietly(*, letter_id: int) -> bool:
    """``letter_send``, with a failure logged instead of raised: the change it tells about is
    committed already, and ``waarborg rights send`` tries again."""
    try:
        return letter_send(letter_id=letter_id)
    except Exception:
        logger.exception("letter %s not sent; `waarborg rights send` will try again", letter_id)
        return False


def _claim(letter_id: int) -> bool:
    now = timezone.now()
    free = Q(attempted_at__isnull=True) | Q(attempted_at__lt=now - CLAIM_TIMEOUT)
    claimed = Letter.objects.filter(free, id=letter_id, sent_at__isnull=True).update(
        attempted_at=now
    )
    return claimed == 1


def letter_send(*, letter_id: int) -> bool:
    """Send one letter unless it was sent or another sender holds it; True when sent now."""
    if not _claim(letter_id):
        return False
    letter = Letter.objects.select_related("request").get(id=letter_id)
    try:
        context = letter_context(letter)
        to, answers = context.pop("to"), context.pop("in_reply_to")
        policy = policy_current().policy
        mail_send(
            to=to,
            template=TEMPLATES + letter.kind.partition(":")[0],
            language="en" if letter.language == "en" else "nl",
            context=context,
            sender=(policy.controller.trade_name, policy.controller.contact_email),
            message_id=_message_id(letter, policy.controller.contact_email),
            answers=answers,
        )
    except BaseException:
        Letter.objects.filter(id=letter_id).update(attempted_at=None)  # free it for a retry
        raise
    letter.sent_at = timezone.now()
    letter.message_id = _message_id(letter, policy.controller.contact_email)
    letter.save(update_fields=["sent_at", "message_id"])
    return True


def _message_id(letter: Letter, contact: str) -> str:
    domain = contact.rpartition("@")[2] or "localhost"
    return f"<letter-{letter.pk}.{letter.request.reference}@{domain}>"


def letter_context(letter: Letter) -> dict[str, Any]:
    """What a letter's template may use; ``to`` is the requester's address, ``in_reply_to``
    the Message-ID of the mail that asked (or "")."""
    request = letter.request
    texts = gate_request_open(
        actor=LETTERS,
        reference=request.reference,
        subject_id=request.subject_id,
        sealed={
            "email": request.email,
            "extension_reason": request.extension_reason,
            "refusal_reasons": request.refusal_reasons,
            "in_reply_to": request.in_reply_to,
        },
    )
    controller = policy_current().policy.controller
    context: dict[str, Any] = {
        "to": texts["email"],
        "in_reply_to": texts["in_reply_to"],
        "request": request,
        "kinds": [Request.Kind(k).label for k in request.kinds],
        "controller": controller,
        "authority": controller.supervisory_authority,
        "extension_reason": texts["extension_reason"],
        "refusal_reasons": texts["refusal_reasons"],
        "status_url": status_url(request.reference),
    }
    if letter.kind == Letter.Kind.ACKNOWLEDGEMENT:
        context["confirm_url"] = _confirm_url(request)
        context["confirm_days"] = CONFIRM_DAYS
    if letter.kind == Letter.Kind.ANSWER:
        context.update(answer_context(request))
    if letter.kind.startswith(Letter.Kind.GROUNDS + ":") and request.subject_id is not None:
        purpose = letter.kind.partition(":")[2]
        spec = policy_current().policy.purposes.get(purpose)
        context["purpose"] = spec.name.get(request.language) if spec else purpose
        context["grounds"] = gate_request_grounds_read(
            actor=LETTERS, subject_id=request.subject_id, purpose=purpose
        )
    return context


def status_url(reference: str) -> str:
    """The address of the request's status page, for a letter to the requester."""
    return f"{settings.WAARBORG_PUBLIC_URL}{STATUS_PATH}/{reference}/{status_code(reference)}"


def _confirm_url(request: Request) -> str:
    """A new single-use code for this letter (only its digest is kept): a retry of a letter that
    never went out mails a fresh one, and any older code stops working."""
    code = secrets.token_urlsafe(18)
    Request.objects.filter(id=request.pk, confirmed_at__isnull=True).update(
        confirm_digest=code_digest(code),
        confirm_expires=timezone.now() + timedelta(days=CONFIRM_DAYS),
    )
    return f"{settings.WAARBORG_PUBLIC_URL}{CONFIRM_PATH}/{request.reference}/{code}"


def letters_send_pending(*, limit: int = 100) -> int:
    """Send letters that did not go out (the mail server was down, the process died); how many
    went now. For ``waarborg rights send`` and the worker."""
    stale = timezone.now() - CLAIM_TIMEOUT
    ids = list(
        Letter.objects.filter(sent_at__isnull=True)
        .filter(Q(attempted_at__isnull=True) | Q(attempted_at__lt=stale))
        .order_by("created_at")
        .values_list("id", flat=True)[:limit]
    )
    return sum(letter_send_quietly(letter_id=i) for i in ids)
