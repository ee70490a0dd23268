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


# --- reports about our own mail, written as mail servers write them -----------------------

CONTACT = "mail@capitalmediaservices.nl"
MX = "mx.capitalmediaservices.nl"


def _headers_only(original: bytes) -> bytes:
    return original.split(b"\n\n", 1)[0].replace(b"\r\n", b"\n") + b"\n"


def dsn_postfix(
    original: bytes,
    recipient: str,
    *,
    status: str = "5.1.1",
    action: str = "failed",
    headers_only: bool = False,
) -> bytes:
    """A bounce as Postfix writes it (RFC 3464): notification, delivery report, and the
    returned message (whole, or its headers only, as Postfix does past ``bounce_size_limit``
    and as Exchange does always)."""
    queue = f"4F{next(_serial):08X}"
    boundary = f"{queue}.1764464400/{MX}"
    code = {"5": "550", "4": "451"}[status[0]]
    returned = (
        b"Content-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\n"
        + _headers_only(original)
        if headers_only
        else b"Content-Description: Undelivered Message\nContent-Type: message/rfc822\n"
        b"Content-Transfer-Encoding: 8bit\n\n" + original.replace(b"\r\n", b"\n")
    )
    head = f"""Return-Path: <>
Delivered-To: {CONTACT}
Received: by {MX} (Postfix)
\tid {queue}; Mon, 30 Nov 2026 02:00:00 +0100 (CET)
Date: Mon, 30 Nov 2026 02:00:00 +0100 (CET)
From: MAILER-DAEMON@{MX} (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {CONTACT}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="{boundary}"
Content-Transfer-Encoding: 8bit
Message-Id: <20261130010000.{queue}@{MX}>

This is a MIME-encapsulated message.

--{boundary}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host {MX}.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

<{recipient}>: host mx.example.nl[192.0.2.25] said: {code} {status}
    <{recipient}>: Recipient address rejected: User unknown in virtual
    mailbox table (in reply to RCPT TO command)

--{boundary}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; {MX}
X-Postfix-Queue-ID: {queue}
X-Postfix-Sender: rfc822; {CONTACT}
Arrival-Date: Mon, 30 Nov 2026 01:59:58 +0100 (CET)

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.example.nl
Diagnostic-Code: smtp; {code} {status} <{recipient}>: Recipient address
    rejected: User unknown in virtual mailbox table

--{boundary}
"""
    return head.encode() + returned + f"\n--{boundary}--\n".encode()


def arf_complaint(original: bytes, recipient: str, *, feedback_type: str = "abuse") -> bytes:
    """A spam complaint as a big mailbox provider's feedback loop sends it (RFC 5965 ARF, the
    layout of Yahoo's and Microsoft's): a note, the machine-readable report, the message."""
    boundary = f"----=_Part_{next(_serial)}_1764464400"
    head = f"""From: Yahoo! Mail AntiSpam Feedback <feedback@arf.mail.yahoo.com>
To: {CONTACT}
Subject: FW: Nieuws van aPlanner / News from aPlanner
Date: Mon, 30 Nov 2026 01:10:00 +0000
Message-ID: <1764465000.{next(_serial)}@arf.mail.yahoo.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
\tboundary="{boundary}"

--{boundary}
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

This is an email abuse report for an email message received from IP 192.0.2.10 on
Mon, 30 Nov 2026 01:00:00 +0000. For more information about this format please see
http://www.mipassoc.org/arf/.

--{boundary}
Content-Type: message/feedback-report

Feedback-Type: {feedback_type}
User-Agent: Yahoo!-Mail-Feedback/2.0
Version: 1
Original-Mail-From: <{CONTACT}>
Original-Rcpt-To: <{recipient}>
Received-Date: Mon, 30 Nov 2026 01:00:00 +0000
Source-IP: 192.0.2.10
Reported-Domain: capitalmediaservices.nl
Authentication-Results: mta1.mail.yahoo.com  from=capitalmediaservices.nl; dkim=pass

--{boundary}
Content-Type: message/rfc822
Content-Disposition: inline

Received: from {MX} (192.0.2.10) by mta1.mail.yahoo.com with SMTP; Mon, 30 Nov 2026 01:00:00 +0000
"""
    return head.encode() + original.replace(b"\r\n", b"\n") + f"\n--{boundary}--\n".encode()
