"""The contact mailbox, read as a Maildir or over IMAP.

A source lists the mails still waiting, gives each one's raw bytes and the time the mail
server received it, and marks one as handled: flagged seen and moved to the folder
``waarborg-handled`` (made when missing). Reading changes nothing on the server; only
``mark_handled`` does, and the fetch calls it after the mail's request is committed.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import re
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from imap_tools import MailBox, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError

from waarborg.conf import MailUrl

HANDLED_FOLDER = "waarborg-handled"
# An IMAP server that stops answering fails the fetch instead of hanging it.
IMAP_TIMEOUT_SECONDS = 60


class MailboxUnavailable(Exception):
    """The mailbox cannot be opened or read; the message names it without its password."""


@dataclass(frozen=True)
class Delivered:
    handle: str  # the source's own name for the mail: a file name or an IMAP UID
    raw: bytes
    received_at: datetime  # when the mail server received it: the request's receipt


class Source(Protocol):
    label: str  # what handled mails are recorded against
    where: str  # for messages

    def waiting(self) -> Iterator[Delivered]: ...

    def mark_handled(self, handle: str) -> None: ...

    def close(self) -> None: ...


class MaildirSource:
    """A Maildir (the layout Dovecot and Postfix write): mails wait in ``new/`` and ``cur/``;
    a handled one moves to the Maildir++ folder ``.waarborg-handled`` with the seen flag, which
    an IMAP server on the same Maildir shows as the folder ``waarborg-handled``."""

    def __init__(self, url: MailUrl) -> None:
        self.label, self.where = url.label, url.where
        self.root = Path(url.path)
        if not (self.root / "new").is_dir() or not (self.root / "cur").is_dir():
            raise MailboxUnavailable(f"{self.where} is not a Maildir (it needs new/ and cur/).")
        self.handled = self.root / f".{HANDLED_FOLDER}"

    def waiting(self) -> Iterator[Delivered]:
        for sub in ("new", "cur"):
            for path in sorted((self.root / sub).iterdir()):
                if path.name.startswith(".") or not path.is_file():
                    continue
                try:
                    raw = path.read_bytes()
                    stamp = path.stat().st_mtime  # delivery time; Dovecot reads it the same way
                except FileNotFoundError:  # moved by another fetch meanwhile
                    continue
                yield Delivered(
                    handle=f"{sub}/{path.name}",
                    raw=raw,
                    received_at=datetime.fromtimestamp(stamp, tz=UTC),
                )

    def mark_handled(self, handle: str) -> None:
        for sub in ("new", "cur", "tmp"):
            (self.handled / sub).mkdir(parents=True, exist_ok=True)
        base, _, info = Path(handle).name.partition(":2,")
        flags = "".join(sorted(set(info) | {"S"}))
        with contextlib.suppress(FileNotFoundError):  # already moved: nothing left to do
            os.rename(self.root / handle, self.handled / "cur" / f"{base}:2,{flags}")

    def close(self) -> None:
        pass


_INTERNALDATE = re.compile(rb'INTERNALDATE "[^"]+"')


class ImapSource:
    """An IMAP folder (``INBOX`` unless the URL names another). Every mail still in it waits,
    read or not: a person may have opened it in a mail client first."""

    def __init__(self, url: MailUrl) -> None:
        self.label, self.where = url.label, url.where
        try:
            if url.scheme == "imaps":
                context = ssl.create_default_context()
                self.box: MailBox | MailBoxUnencrypted = MailBox(
                    url.host, url.port, timeout=IMAP_TIMEOUT_SECONDS, ssl_context=context
                )
            else:
                self.box = MailBoxUnencrypted(url.host, url.port, timeout=IMAP_TIMEOUT_SECONDS)
            self.box.login(url.user, url.password, initial_folder=url.folder)
            # imaplib keeps the capabilities it saw before login; servers list more after it
            # (MOVE, UIDPLUS). Without MOVE a move is a copy and an EXPUNGE of the folder.
            status, data = self.box.client.capability()
            if status == "OK" and data and isinstance(data[-1], bytes):
                self.box.client.capabilities = tuple(data[-1].decode().upper().split())
            if not self.box.folder.exists(HANDLED_FOLDER):
                self.box.folder.create(HANDLED_FOLDER)
        except (OSError, imaplib.IMAP4.error, ImapToolsError) as exc:
            raise MailboxUnavailable(f"{self.where} cannot be opened: {_reason(exc)}") from None

    def waiting(self) -> Iterator[Delivered]:
        try:
            uids = self.box.uids("UNDELETED")
        except (OSError, imaplib.IMAP4.error, ImapToolsError) as exc:
            raise MailboxUnavailable(f"{self.where} cannot be read: {_reason(exc)}") from None
        for uid in uids:
            found = self._fetch(uid)
            if found is not None:
                yield found

    def _fetch(self, uid: str) -> Delivered | None:
        try:
            status, data = self.box.client.uid("FETCH", uid, "(INTERNALDATE BODY.PEEK[])")
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxUnavailable(f"{self.where} cannot be read: {_reason(exc)}") from None
        for item in data if status == "OK" else []:
            if isinstance(item, tuple) and len(item) == 2:
                received = _INTERNALDATE.search(item[0])
                stamp = imaplib.Internaldate2tuple(received.group(0)) if received else None
                return Delivered(
                    handle=uid,
                    raw=bytes(item[1]),
                    received_at=datetime.fromtimestamp(
                        time.mktime(stamp) if stamp else time.time(), tz=UTC
                    ),
                )
        return None  # expunged by someone else meanwhile

    def mark_handled(self, handle: str) -> None:
        try:
            # STORE itself, not imap_tools' flag(), which also expunges the folder.
            status, _ = self.box.client.uid("STORE", handle, "+FLAGS", r"(\Seen)")
            if status != "OK":
                raise MailboxUnavailable(f"{self.where}: a mail cannot be flagged ({status}).")
            self.box.move(handle, HANDLED_FOLDER)
        except (OSError, imaplib.IMAP4.error, ImapToolsError) as exc:
            raise MailboxUnavailable(
                f"{self.where}: a mail cannot be moved: {_reason(exc)}"
            ) from None

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the connection may already be gone
            self.box.logout()


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def source_open(url: MailUrl) -> Source:
    if url.scheme == "maildir":
        return MaildirSource(url)
    return ImapSource(url)
