from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DatabaseError

from waarborg.core.commands import SubcommandCommand, Subcommands
from waarborg.intake.services import mail_fetch
from waarborg.intake.sources import MailboxUnavailable, source_open


class Command(SubcommandCommand):
    help = (
        "The contact mailbox (WAARBORG_MAIL_URL: maildir:///path or imaps://user:pass@host/INBOX). "
        "'fetch' reads every mail waiting in it and files each as a rights request (the right "
        "recognised from Dutch or English wording, 'unclear' for a privacy officer otherwise), "
        "in one transaction with a record that the mail is handled. Only after that commit is "
        "the mail flagged seen and moved to the folder waarborg-handled, so a crash never loses "
        "a mail and never files one twice: a mail already recorded is only moved. A mail "
        "without a sender address stays in the mailbox for a person; bounces and auto-replies "
        "are moved without a request, and a bounce (RFC 3464) or spam complaint (RFC 5965) "
        "about a campaign message is recorded with it: a hard bounce or a complaint stops "
        "campaign mail to that address. Safe to run from cron, also two at once. Exit 1 when the "
        "mailbox cannot be read."
    )

    def add_subcommands(self, sub: Subcommands) -> None:
        sub.add_parser("fetch", help="file the waiting mails as requests")

    def handle_fetch(self, options: dict[str, Any]) -> None:
        url = settings.WAARBORG_MAIL_URL
        if url is None:
            raise CommandError(
                "WAARBORG_MAIL_URL is not set: name the contact mailbox, as maildir:///path "
                "or imaps://user:password@host:993/INBOX (docs/intake.md)."
            )
        try:
            source = source_open(url)
        except MailboxUnavailable as exc:
            raise CommandError(str(exc)) from None
        try:
            count = mail_fetch(source=source, warn=self.stderr.write)
        except MailboxUnavailable as exc:
            raise CommandError(f"{exc} What was stored before this stays stored.") from None
        except DatabaseError as exc:
            raise CommandError(
                f"the database does not answer ({' '.join(str(exc).split())}); the mails not "
                "stored stay in the mailbox for the next fetch."
            ) from None
        finally:
            source.close()
        self.stdout.write(
            f"{count.read} mails read, {count.stored} stored, {count.skipped} skipped "
            f"({count.stored_before} already stored, {count.automatic} automatic replies, "
            f"{count.left} left in the mailbox for a person), "
            f"{count.reported} campaign bounces and complaints recorded"
        )
