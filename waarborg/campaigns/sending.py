"""Sending a campaign in batches, safe against a crash at any point.

A batch: claim up to ``size`` pending deliveries with one conditional UPDATE (pending ->
sending, with this sender's id and the time), ask the gate about each person right then (an
unsubscribe, objection, restriction or erasure since the audience was built, or a hard bounce,
keeps them out: the unsubscribe takes effect before the next batch), send the rest over one SMTP
connection, and record sent in one UPDATE.

**At most once, by decision.** A delivery still marked ``sending`` whose sender is gone (its
process died on this host, or its claim is older than CLAIM_TIMEOUT) is *never* sent again: it
becomes ``unknown``. The mail server may have accepted it before the crash, and a second
copy of a marketing message after a kill is exactly what the law and the recipient do not
accept; a lost one is the lesser harm. The loss is bounded by the batch size (100 by default),
is visible (the console counts ``unknown``), and no Message-ID dedupe is possible on the far
side of an SMTP relay we do not run. The alternative (at least once, with one Message-ID) would
show a duplicate to every recipient whose mail program does not merge by Message-ID."""

from __future__ import annotations

import os
import secrets
import smtplib
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from waarborg.campaigns.audience import SENDER
from waarborg.campaigns.message import message_build
from waarborg.campaigns.models import Campaign, Delivery, Suppression
from waarborg.gate.services import Allowed, gate_fields
from waarborg.vault.models import Subject

BATCH = 100
# The server answered "no" to this message: it did not go, and the connection goes on.
REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)
CLAIM_TIMEOUT = timedelta(minutes=15)
S = Delivery.Status


def sender_id() -> str:
    """Who claims: this host and process (so a restart can tell a dead claimer) and a nonce."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def _claimer_dead(claimed_by: str) -> bool:
    host, _, rest = claimed_by.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname()[:40] or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return int(pid) == os.getpid() and claimed_by != _ME[0]


_ME = [sender_id()]


def deliveries_settle(*, campaign_id: int) -> int:
    """Mark ``unknown`` what dead or timed-out senders had claimed; how many."""
    stale = timezone.now() - CLAIM_TIMEOUT
    claims = Delivery.objects.filter(campaign_id=campaign_id, status=S.SENDING)
    dead = [c for c in claims.values_list("claimed_by", flat=True).distinct() if _claimer_dead(c)]
    lost = claims.filter(claimed_at__lt=stale) | claims.filter(claimed_by__in=dead)
    return lost.update(status=S.UNKNOWN, reason="sender_lost")


def _claim(campaign_id: int, size: int) -> list[Delivery]:
    ids = list(
        Delivery.objects.filter(campaign_id=campaign_id, status=S.PENDING)
        .order_by("id")
        .values_list("id", flat=True)[:size]
    )
    me = _ME[0]
    Delivery.objects.filter(id__in=ids, status=S.PENDING).update(
        status=S.SENDING, claimed_by=me, claimed_at=timezone.now()
    )
    return list(Delivery.objects.filter(id__in=ids, status=S.SENDING, claimed_by=me))


def _suppressed(deliveries: list[Delivery]) -> set[UUID]:
    ids = [d.subject_id for d in deliveries]
    gone = Suppression.objects.values("email_index")
    hit = Subject.objects.filter(id__in=ids, email_index__in=gone)
    return set(hit.values_list("id", flat=True))


def _prepare(
    campaign: Campaign, deliveries: list[Delivery]
) -> tuple[list[tuple[Delivery, EmailMessage]], dict[int, str]]:
    """The messages to send and the deliveries to skip, with the gate's reason. The gate's
    audit entries commit together before any mail leaves."""
    out: list[tuple[Delivery, EmailMessage]] = []
    skipped: dict[int, str] = {}
    with transaction.atomic():
        bounced = _suppressed(deliveries)
        for d in deliveries:
            if d.subject_id in bounced:
                skipped[d.pk] = "suppressed"
                continue
            read = gate_fields(actor=SENDER, purpose=campaign.purpose, subject=d.subject_id)
            email = read.fields.get("email", "") if isinstance(read, Allowed) else ""
            if not email:
                skipped[d.pk] = "no_email" if isinstance(read, Allowed) else read.reason
                continue
            mail = message_build(
                campaign=campaign, delivery_id=d.pk, subject_id=d.subject_id, to=email
            )
            out.append((d, mail))
    for pk, reason in skipped.items():
        Delivery.objects.filter(id=pk).update(status=S.SKIPPED, reason=reason)
    return out, skipped


def _release(ids: list[int]) -> None:
    """Give claimed deliveries back: nothing of them has been handed to the mail server."""
    Delivery.objects.filter(id__in=ids, status=S.SENDING).update(
        status=S.PENDING, claimed_by="", claimed_at=None
    )


def _send(messages: list[tuple[Delivery, EmailMessage]]) -> tuple[list[int], list[int]]:
    """Send over one connection; (sent, failed) ids. A mail server that cannot be reached frees
    the whole batch; a connection lost mid-batch leaves the one in flight ``unknown`` (it may
    have gone), frees the rest, and raises."""
    sent: list[int] = []
    failed: list[int] = []
    smtp = get_connection(fail_silently=False)
    try:
        smtp.open()
    except BaseException:
        _release([d.pk for d, _ in messages])
        raise
    try:
        for index, (delivery, mail) in enumerate(messages):
            try:
                smtp.send_messages([mail])
            except REFUSED:
                failed.append(delivery.pk)
            except BaseException:
                _record(sent, failed)
                Delivery.objects.filter(id=delivery.pk).update(status=S.UNKNOWN, reason="smtp_lost")
                _release([d.pk for d, _ in messages[index + 1 :]])
                raise
            else:
                sent.append(delivery.pk)
    finally:
        smtp.close()
    return sent, failed


def _record(sent: list[int], failed: list[int]) -> None:
    Delivery.objects.filter(id__in=sent).update(status=S.SENT, sent_at=timezone.now())
    Delivery.objects.filter(id__in=failed).update(status=S.FAILED, reason="smtp_refused")


@dataclass
class Progress:
    sent: int = 0
    skipped: int = 0
    failed: int = 0


def campaign_send_batch(*, campaign: Campaign, size: int = BATCH) -> Progress | None:
    """Send one batch; None when nothing was left to claim."""
    claimed = _claim(campaign.pk, size)
    if not claimed:
        return None
    try:
        messages, skipped = _prepare(campaign, claimed)
    except BaseException:
        _release([d.pk for d in claimed])
        raise
    sent, failed = _send(messages) if messages else ([], [])
    _record(sent, failed)
    return Progress(len(sent), len(skipped), len(failed))


def campaign_send(
    *,
    campaign_id: int,
    size: int = BATCH,
    on_batch: Callable[[Progress], None] | None = None,
) -> Progress:
    """Send what is pending of one campaign, batch after batch; finish it when nothing is left.
    For ``waarborg campaign send`` and the worker (``campaigns_send_pending``)."""
    campaign = Campaign.objects.get(id=campaign_id)
    total = Progress()
    if campaign.state != Campaign.State.SENDING:
        return total
    deliveries_settle(campaign_id=campaign_id)
    while (batch := campaign_send_batch(campaign=campaign, size=size)) is not None:
        total.sent += batch.sent
        total.skipped += batch.skipped
        total.failed += batch.failed
        if on_batch:
            on_batch(total)
    _finish(campaign_id)
    return total


def _finish(campaign_id: int) -> None:
    open_ = Delivery.objects.filter(campaign_id=campaign_id, status__in=[S.PENDING, S.SENDING])
    if not open_.exists():
        Campaign.objects.filter(id=campaign_id, state=Campaign.State.SENDING).update(
            state=Campaign.State.DONE, finished_at=timezone.now()
        )


def campaigns_send_pending(*, size: int = BATCH) -> int:
    """Every campaign that is sending, to the end: the worker's task. How many mails went."""
    ids = Campaign.objects.filter(state=Campaign.State.SENDING).order_by("id")
    return sum(
        campaign_send(campaign_id=i, size=size).sent for i in ids.values_list("id", flat=True)
    )
