"""Filing and deciding rights requests. Each service is one transaction with its audit entry;
its letter is recorded in that transaction and mailed after it commits (``letters``).

Whether the address is on file changes only what the mail says (a confirmation link, or that no
data is linked to it): the request, its state and every door's answer are the same either way,
so nobody learns from filing who is a customer."""

from __future__ import annotations

import hmac
from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from waarborg.core.actors import Actor
from waarborg.gate.records import gate_event
from waarborg.gate.requesters import RIGHTS, gate_request_seal, gate_requester_find
from waarborg.policy.rules import REASONS, actor_refusal, decides_objections
from waarborg.policy.selectors import policy_current
from waarborg.rights import errors
from waarborg.rights.codes import CONFIRM_DAYS, code_digest, reference_clean, reference_new
from waarborg.rights.deadlines import due_date, extended_date
from waarborg.rights.errors import RightsError
from waarborg.rights.letters import letter_prepare
from waarborg.rights.limits import filing_count
from waarborg.rights.models import Export, Letter, Request, Step
from waarborg.rights.tasks import steps_plan
from waarborg.rights.validation import (
    Filing,
    filing_clean,
    kinds_clean,
    message_id_clean,
    text_clean,
)

PUBLIC = Actor(kind="subject", name="requester")
COPIES = Actor.job("rights_copies")  # clears what requests gathered about an erased person
CLOSED = (Request.Status.DONE, Request.Status.REFUSED, Request.Status.LAPSED)


def local_date(moment: datetime) -> date:
    """The calendar day of ``moment`` in the Netherlands (where the deadline is counted)."""
    return timezone.localdate(moment)


def request_file(
    *,
    kinds: Sequence[str],
    email: str,
    language: str,
    channel: str,
    explanation: str = "",
    received_at: datetime | None = None,
    actor: Actor | None = None,
    client: str = "",
    in_reply_to: str = "",
) -> Request:
    """File a request and mail its acknowledgement; ``client`` (the sender's address, for the
    public forms) is counted against the filing limit with the e-mail address. For a request by
    e-mail, ``in_reply_to`` is the mail's Message-ID: every letter answers in its thread."""
    actor = actor or PUBLIC
    rights_scope_check(actor=actor)
    clean = filing_clean(
        kinds=kinds, email=email, language=language, channel=channel, explanation=explanation
    )
    filing_count(email=clean.email, client=client)
    received = received_at or timezone.now()
    thread = message_id_clean(in_reply_to, channel=clean.channel)
    with transaction.atomic():
        return _file(actor, clean, received, thread)


def _free_reference() -> str:
    """A reference no request has yet (a clash is about 1 in 900 million per request; two
    filings racing for the same one would still meet the unique constraint)."""
    while True:
        reference = reference_new()
        if not Request.objects.filter(reference=reference).exists():
            return reference


def _file(actor: Actor, clean: Filing, received: datetime, thread: str) -> Request:
    requester = gate_requester_find(actor=actor, email=clean.email)
    reference = _free_reference()
    texts = {"email": clean.email, "explanation": clean.explanation, "in_reply_to": thread}
    request = Request.objects.create(
        reference=reference,
        kinds=clean.kinds,
        channel=clean.channel,
        language=clean.language,
        received_at=received,
        due=due_date(local_date(received)),
        email_index=requester.email_index,
        subject_id=requester.subject_id,
        **gate_request_seal(reference=reference, texts=texts),
    )
    _audit(actor, request, "rights.file", kinds=clean.kinds, channel=clean.channel)
    on_file = requester.subject_id is not None
    letter_prepare(
        request=request, kind=Letter.Kind.ACKNOWLEDGEMENT if on_file else Letter.Kind.NO_DATA
    )
    return request


def request_confirm(*, reference: str, code: str) -> Request:
    """The requester opened the link mailed to the address on file: the request is theirs."""
    with transaction.atomic():
        request = _locked(reference, refusal=errors.bad_code())
        now = timezone.now()
        valid = (
            request.status == Request.Status.AWAITING_CONFIRMATION
            and request.confirm_digest
            and request.confirm_expires is not None
            and request.confirm_expires > now
            and hmac.compare_digest(request.confirm_digest, code_digest(code))
        )
        if not valid:
            raise errors.bad_code()
        request.status = Request.Status.OPEN
        request.confirmed_at = now
        request.confirm_digest, request.confirm_expires = "", None
        request.save(update_fields=["status", "confirmed_at", "confirm_digest", "confirm_expires"])
        _audit(PUBLIC, request, "rights.confirm")
        steps_plan(request=request)  # carried out in the background from here (tasks.py)
    return request


def request_classify(*, actor: Actor, reference: str, kinds: Sequence[str]) -> Request:
    """A privacy officer says which right(s) an unclear request asks for."""
    _officer(actor)
    chosen = kinds_clean(kinds, unclear=False)
    with transaction.atomic():
        request = _open(reference)
        if Request.Kind.UNCLEAR not in request.kinds:
            raise errors.not_unclear()
        old, request.kinds = request.kinds, chosen
        request.save(update_fields=["kinds"])
        _audit(actor, request, "rights.classify", old=old, new=chosen)
        if request.confirmed_at is not None:
            steps_plan(request=request)
    return request


def request_extend(*, actor: Actor, reference: str, reason: str) -> Request:
    """Extend by two further months (Art. 12(3)): only within the first month, once, with the
    reason, which the letter tells the requester."""
    _officer(actor)
    reason = text_clean(reason, name="reason", required=True)
    with transaction.atomic():
        request = _open(reference)
        if request.extended_until is not None:
            raise errors.already_extended()
        if timezone.localdate() > request.due:
            raise errors.too_late(request.due)
        request.extended_until = extended_date(local_date(request.received_at))
        sealed = gate_request_seal(reference=request.reference, texts={"extension_reason": reason})
        request.extension_reason = sealed["extension_reason"]
        request.save(update_fields=["extended_until", "extension_reason"])
        _audit(actor, request, "rights.extend", until=request.extended_until.isoformat())
        letter_prepare(request=request, kind=Letter.Kind.EXTENSION)
    return request


def request_refuse(*, actor: Actor, reference: str, grounds: str, reasons: str) -> Request:
    """Refuse a manifestly unfounded or excessive request (Art. 12(5)), with reasons; the letter
    says the person can complain to the Autoriteit Persoonsgegevens and go to court (12(4))."""
    _officer(actor)
    if grounds not in Request.Grounds.values:
        raise errors.bad_grounds()
    reasons = text_clean(reasons, name="reasons", required=True)
    with transaction.atomic():
        request = _open(reference)
        sealed = gate_request_seal(reference=request.reference, texts={"refusal_reasons": reasons})
        request.status, request.closed_at = Request.Status.REFUSED, timezone.now()
        request.refusal_grounds, request.refusal_reasons = grounds, sealed["refusal_reasons"]
        request.save(update_fields=["status", "closed_at", "refusal_grounds", "refusal_reasons"])
        # What its steps gathered about the person is not handed over now: it goes at once.
        Step.objects.filter(request=request).exclude(payload=None).update(payload=None)
        _audit(actor, request, "rights.refuse", grounds=grounds)
        letter_prepare(request=request, kind=Letter.Kind.REFUSAL)
    return request


def requests_lapse(*, now: datetime | None = None) -> int:
    """Close requests whose confirmation link expired unused, and those for an address not on
    file (the no-data letter answered them) after the same 7 days; how many. A request whose
    link never went out (the mail server was down) stays open for ``waarborg rights send``."""
    now = now or timezone.now()
    with transaction.atomic():
        stale = Request.objects.select_for_update().filter(
            status=Request.Status.AWAITING_CONFIRMATION,
            received_at__lt=now - timedelta(days=CONFIRM_DAYS),
        )
        rows = list(stale.filter(subject_id__isnull=True) | stale.filter(confirm_expires__lt=now))
        for request in rows:
            request.status, request.closed_at = Request.Status.LAPSED, now
            _audit(Actor.job("rights_lapse"), request, "rights.lapse")
        Request.objects.bulk_update(rows, ["status", "closed_at"])
    return len(rows)


def rights_scope_check(*, actor: Actor) -> None:
    """A product back end files and follows requests only with a token for ``rights``."""
    if actor.kind == "system":
        reason = actor_refusal(policy_current().policy, actor, RIGHTS)
        if reason:
            raise RightsError(reason, REASONS[reason])


def _officer(actor: Actor) -> None:
    """Requests are decided by the role the policy charges with them (the privacy officer), or
    by a job acting for one (a command)."""
    if actor.kind != "job" and not decides_objections(policy_current().policy, actor):
        raise errors.not_officer()


def _locked(reference: str, *, refusal: Exception | None = None) -> Request:
    request = (
        Request.objects.select_for_update().filter(reference=reference_clean(reference)).first()
    )
    if request is None:
        raise refusal or errors.not_found()
    return request


def _open(reference: str) -> Request:
    request = _locked(reference)
    if request.status in CLOSED:
        raise errors.closed()
    return request


def _audit(actor: Actor, request: Request, action: str, **detail: Any) -> None:
    gate_event(
        actor=actor,
        action=action,
        subject_id=request.subject_id,
        purpose=RIGHTS,
        detail={"request": request.reference, **detail},
    )


def gathered_forget(*, subject_ids: Collection[UUID]) -> int:
    """Clear what requests gathered about these people: a retrieve step's copy and an archive
    not yet downloaded. Both are sealed under a shared key, not the person's own, so destroying
    the person's key does not reach them; every erasure calls this in its own transaction (the
    vault's ``copies_erase`` signal, also when a restore replays the erasure ledger). Kept: the
    copies of a request that is erasing the person now (open, with an erase step). Its answer is
    built from them after the erasure and hands the person the data they asked for with it; the
    answer then clears the copies, and the archive goes when it is downloaded or expires.
    Returns how many copies were cleared."""
    if not subject_ids:
        return 0
    # Most people erased (a retention sweep's thousands) never asked for anything: one indexed
    # read of their request ids answers that, and the updates run only for those who did.
    theirs = list(
        Request.objects.filter(subject_id__in=list(subject_ids)).values_list("pk", flat=True)
    )
    if not theirs:
        return 0
    erasing = Request.objects.filter(
        pk__in=theirs, status=Request.Status.OPEN, steps__action=Step.Action.ERASE
    ).values_list("pk", flat=True)
    requests = set(theirs) - set(erasing)
    steps = Step.objects.filter(request__in=requests, payload__isnull=False)
    exports = Export.objects.filter(request__in=requests, archive__isnull=False)
    owners = dict(Request.objects.filter(pk__in=requests).values_list("pk", "subject_id"))
    touched = {owners[r] for r in steps.values_list("request_id", flat=True)}
    touched |= {owners[r] for r in exports.values_list("request_id", flat=True)}
    cleared = steps.update(payload=None) + exports.update(archive=None, code_digest="")
    for subject_id in sorted(touched, key=str):  # what went with the person, in the log
        gate_event(actor=COPIES, action="rights.copies_cleared", subject_id=subject_id)
    return cleared


def copies_forget(sender: Any, subject_ids: Collection[UUID], **kwargs: Any) -> None:
    gathered_forget(subject_ids=subject_ids)
