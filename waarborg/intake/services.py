"""The e-mail door: each mail of the contact mailbox becomes one rights request, exactly once.

The order is the whole point. (1) Read the mail; nothing changes on the server. (2) In ONE
transaction: file its request and record the mail as handled. (3) Only after that commit, flag
the mail seen and move it out of the inbox. A crash before (2) commits leaves the mail waiting,
so the next fetch files it; a crash between (2) and (3) leaves a recorded mail waiting, so the
next fetch finds the record and only moves it. Nothing is lost, nothing is filed twice.

A bounce or complaint about a campaign message (``reports.py``) is recorded the same way: by
the campaigns' own service (the one the mail-events API calls), in the transaction that records
the mail as handled, so it counts exactly once however often the fetch stops and starts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from django.db import IntegrityError, transaction

from waarborg.campaigns.services import mail_event_report
from waarborg.core.actors import Actor
from waarborg.core.errors import Refusal
from waarborg.intake.models import HandledMail
from waarborg.intake.reading import ReadMail, mail_read
from waarborg.intake.selectors import mail_is_handled
from waarborg.intake.sources import Source
from waarborg.policy.selectors import policy_current
from waarborg.rights.services import request_file

# Who records the bounces and complaints the mailbox receives: a job in the marketing role, so
# the campaigns' service lets it report on exactly the marketing purposes' messages.
MAILBOX_REPORTS = Actor(kind="job", name="mail-intake", roles=frozenset({"marketing"}))


@dataclass
class FetchCount:
    read: int = 0
    stored: int = 0  # filed as a request now
    stored_before: int = 0  # filed by an earlier fetch that stopped before moving the mail
    automatic: int = 0  # bounces and auto-replies: recorded and moved, never answered
    left: int = 0  # left in the mailbox for a person
    reported: int = 0  # bounces and complaints recorded against a campaign message

    @property
    def skipped(self) -> int:
        return self.stored_before + self.automatic + self.left


def _reports_record(mail: ReadMail) -> int:
    """Record the mail's bounces and complaints about campaign messages; how many. A report
    about any other message (a letter to a requester, a guessed Message-ID) records nothing."""
    recorded = 0
    for report in mail.reports:
        try:
            mail_event_report(
                actor=MAILBOX_REPORTS,
                message_id=report.message_id,
                kind=report.kind,
                detail=report.status,
            )
        except Refusal:
            continue
        recorded += 1
    return recorded


def mail_store(*, mailbox: str, mail: ReadMail, received_at: datetime) -> int | None:
    """File the mail's request, or record the bounces and complaints it reports, and record the
    mail as handled, all in one transaction; how many bounces and complaints were recorded.

    None when the mail was recorded before (by an earlier fetch, or by one running alongside:
    the unique constraint decides, and the losing transaction files nothing). A ``Refusal`` of
    the request leaves nothing stored."""
    if mail_is_handled(mailbox=mailbox, key=mail.key):
        return None
    try:
        with transaction.atomic():
            request = None
            reported = 0
            if mail.automatic:
                reported = _reports_record(mail)
            else:
                assert mail.sender is not None  # mail_fetch leaves a mail without one
                request = request_file(
                    kinds=mail.kinds,
                    email=mail.sender,
                    language=mail.language,
                    channel="email",
                    explanation=mail.explanation,
                    received_at=received_at,
                    in_reply_to=mail.message_id,
                )
            HandledMail.objects.create(
                mailbox=mailbox, key=mail.key, request=request, automatic=mail.automatic
            )
    except IntegrityError:
        if mail_is_handled(mailbox=mailbox, key=mail.key):
            return None
        raise
    return reported


def mail_fetch(*, source: Source, warn: Callable[[str], None]) -> FetchCount:
    """Every mail waiting in ``source``, stored and then moved; ``warn`` hears of each mail left
    in the mailbox and why."""
    count = FetchCount()
    # Our own letters, should one land here (a copy, a bounce quoting it), are never filed: a
    # request from the contact address would answer itself forever.
    own = str(policy_current().policy.controller.contact_email).lower()
    for delivered in source.waiting():
        count.read += 1
        mail = mail_read(delivered.raw)
        if mail.sender is not None and mail.sender.lower() == own:
            mail = replace(mail, automatic=True)
        if mail.sender is None and not mail.automatic:
            count.left += 1
            warn(f"left in the mailbox for a person: mail {delivered.handle} has no sender address")
            continue
        try:
            stored = mail_store(mailbox=source.label, mail=mail, received_at=delivered.received_at)
        except Refusal as exc:
            count.left += 1
            warn(f"left in the mailbox for a person: mail {delivered.handle} was refused ({exc})")
            continue
        if stored is None:
            count.stored_before += 1
        elif mail.automatic:
            count.automatic += 1
            count.reported += stored
        else:
            count.stored += 1
        source.mark_handled(delivered.handle)
    return count
