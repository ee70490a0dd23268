"""Helpers for the intake tests: mails as a person writes them, and a Maildir to put them in."""

from __future__ import annotations

import itertools
from email.message import EmailMessage
from pathlib import Path

_serial = itertools.count(1)


def mail_bytes(
    body: str,
    *,
    sender: str = "Annelies de Vries <annelies.devries@example.nl>",
    subject: str = "Verzoek",
    message_id: str | None = "",
    **headers: str,
) -> bytes:
    """A mail to the contact address; ``message_id=None`` leaves the Message-ID out, "" makes a
    fresh one."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "mail@capitalmediaservices.nl"
    message["Subject"] = subject
    message["Date"] = "Mon, 03 Mar 2025 10:00:00 +0100"
    if message_id is not None:
        message["Message-ID"] = message_id or f"<mail-{next(_serial)}@example.nl>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def maildir_make(root: Path) -> Path:
    for sub in ("new", "cur", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return root


def maildir_deliver(root: Path, raw: bytes, *, name: str | None = None) -> Path:
    """Deliver as a mail server does: write in tmp/, then rename into new/."""
    name = name or f"1700000000.M{next(_serial)}P1.test"
    (root / "tmp" / name).write_bytes(raw)
    return (root / "tmp" / name).rename(root / "new" / name)


def maildir_files(root: Path, sub: str) -> list[str]:
    folder = root / sub
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
