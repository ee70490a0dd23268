"""Reads of the e-mail door's own records."""

from __future__ import annotations

from waarborg.intake.models import HandledMail


def mail_is_handled(*, mailbox: str, key: str) -> bool:
    return HandledMail.objects.filter(mailbox=mailbox, key=key).exists()
