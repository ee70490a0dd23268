"""Sending a campaign in batches, safe against a crash at any point.

A batch: claim up to ``size`` pending deliveries with one conditional UPDATE (pending ->
sending, with this sender's id and the time), ask the gate about each person right then (an
unsubscribe, objection, restriction or erasure since the audience was built, or a hard bounce,
keeps them out: the unsubscribe takes effect before the next batch), send the rest over one SMTP
connection, and record sent in one UPDATE.

**At most once, by decision.** A delivery that may have reached the mail server is *never* sent
again: it becomes ``unknown``. A second copy of a marketing message after a kill is exactly what
the law and the recipient do not accept; a lost one is the lesser harm. No Message-ID dedupe is
possible on the far side of an SMTP relay we do not run, and the alternative (at least once,
with one Message-ID) would show a duplicate to every recipient whose mail program does not merge
by Message-ID.

**How little is lost: the journal.** While it sends a batch, a sender keeps a journal in
``var/campaign-journal/`` (one file per sender): the boot it runs in, the batch's ids in sending
order, then one line per message as soon as the mail server has answered, each one ``write``
without buffering, so it outlives a killed process (the kernel holds it). When the sender's
process is gone on this host in the same boot (``kill -9``, a crash of the program), the next
start reads the journal: what it lists as sent is ``sent``, the one message after the last line
is ``unknown`` (it was in flight: it may have gone), and the rest of the batch was never handed
over, so it goes back to ``pending``. A loss is then at most one message per killed sender.
Without a journal to trust (another host, the machine restarted, a claim older than
CLAIM_TIMEOUT whose sender may still be at work) every delivery its sender still held becomes
``unknown``, bounded by the batch size (100 by default) and counted in the console."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import smtplib
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from waarborg.campaigns.audience import SENDER
from waarborg.campaigns.message import message_build
from waarborg.campaigns.models import Campaign, Delivery, Suppression
from waarborg.core.processes import pid_alive
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
    alive = pid_alive(pid) if host == socket.gethostname()[:40] else None
    if alive is None:
        return False
    return not alive or (int(pid) == os.getpid() and claimed_by != _ME[0])


_ME = [sender_id()]


# --- the journal ---------------------------------------------------------------------------

JOURNAL_DIR = "campaign-journal"
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def _boot_id() -> str:
    """This boot of the machine ("" where it cannot be known: then no journal is trusted)."""
    try:
        return _BOOT_ID.read_text().strip()
    except OSError:
        return ""


def _journal_path(claimed_by: str) -> Path:
    return Path(settings.VAR_DIR) / JOURNAL_DIR / (re.sub(r"[^\w.-]", "_", claimed_by) + ".log")


class Journal:
    """What this sender hands to the mail server in the current batch. Every line is one
    unbuffered ``write``: once it returns, the line survives the process being killed."""

    def __init__(self, claimed_by: str, ids: list[int]) -> None:
        self.path = _journal_path(claimed_by)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND
        self.fd = os.open(self.path, flags, 0o600)
        os.write(self.fd, f"boot {_boot_id()}\nclaim {' '.join(map(str, ids))}\n".encode())

    def note(self, status: str, delivery_id: int) -> None:
        os.write(self.fd, f"{status} {delivery_id}\n".encode())

    def close(self, *, remove: bool) -> None:
        os.close(self.fd)
        if remove:
            self.path.unlink(missing_ok=True)


@dataclass
class JournalRead:
    claim: list[int]
    noted: dict[int, str]  # delivery id -> "sent" or "failed"


def journal_read(claimed_by: str) -> JournalRead | None:
    """The journal a dead sender left, or None when there is none to trust (missing, written
    in another boot, or unreadable)."""
    try:
        lines = _journal_path(claimed_by).read_text().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    boot = _boot_id()
    if len(lines) < 2 or not boot or lines[0] != f"boot {boot}" or not lines[1].startswith("claim"):
        return None
    try:
        claim = [int(i) for i in lines[1].split()[1:]]
        noted = {int(i): status for status, i in (line.split() for line in lines[2:])}
    except ValueError:  # a torn last line cannot come from one write; refuse the whole file
        return None
    return JournalRead(claim, noted)


def _recover(campaign_id: int, claimed_by: str) -> None:
    """Settle a dead sender's batch from its journal: what went is ``sent`` (or ``failed``),
    what was never handed over goes back to ``pending``; the one in flight stays for
    ``deliveries_settle`` to mark ``unknown``."""
    read = journal_read(claimed_by)
    if read is None:
        return
    held = Delivery.objects.filter(campaign_id=campaign_id, status=S.SENDING, claimed_by=claimed_by)
    sent = [i for i, status in read.noted.items() if status == "sent"]
    failed = [i for i, status in read.noted.items() if status == "failed"]
    held.filter(id__in=sent).update(status=S.SENT, sent_at=timezone.now())
    held.filter(id__in=failed).update(status=S.FAILED, reason="smtp_refused")
    rest = [i for i in read.claim if i not in read.noted]
    # rest[0] was in flight (or next): it may have gone. Everything after it never left.
    held.filter(id__in=rest[1:]).update(status=S.PENDING, claimed_by="", claimed_at=None)
    with contextlib.suppress(OSError):
        _journal_path(claimed_by).unlink()


def deliveries_settle(*, campaign_id: int) -> int:
    """Settle what dead or timed-out senders had claimed (see the module's text); how many
    deliveries became ``unknown``."""
    stale = timezone.now() - CLAIM_TIMEOUT
    claims = Delivery.objects.filter(campaign_id=campaign_id, status=S.SENDING)
    dead = [c for c in claims.values_list("claimed_by", flat=True).distinct() if _claimer_dead(c)]
    for claimed_by in dead:
        _recover(campaign_id, claimed_by)
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
    # In id order: the journal relies on the batch going out in the order it lists.
    return list(Delivery.objects.filter(id__in=ids, status=S.SENDING, claimed_by=me).order_by("id"))


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


def _send(
    messages: list[tuple[Delivery, EmailMessage]], journal: Journal
) -> tuple[list[int], list[int]]:
    """Send over one connection, in order, noting each answer in the journal; (sent, failed)
    ids. A mail server that cannot be reached frees the whole batch; a connection lost
    mid-batch leaves the one in flight ``unknown`` (it may have gone), frees the rest, and
    raises."""
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
                outcome, into = "failed", failed
            except BaseException:
                _record(sent, failed)
                Delivery.objects.filter(id=delivery.pk).update(status=S.UNKNOWN, reason="smtp_lost")
                _release([d.pk for d, _ in messages[index + 1 :]])
                raise
            else:
                outcome, into = "sent", sent
            into.append(delivery.pk)
            try:
                journal.note(outcome, delivery.pk)
            except BaseException:  # a full disk: the mail server has these, the rows say so
                _record(sent, failed)
                _release([d.pk for d, _ in messages[index + 1 :]])
                raise
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
        journal = Journal(_ME[0], [d.pk for d, _ in messages]) if messages else None
    except BaseException:  # nothing of the batch has been handed to the mail server
        _release([d.pk for d in claimed])
        raise
    sent: list[int] = []
    failed: list[int] = []
    if journal is not None:
        done = False
        try:
            sent, failed = _send(messages, journal)
            _record(sent, failed)
            done = True
        finally:
            # Kept when the batch did not end well: the database may not hold all it says.
            journal.close(remove=done)
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
