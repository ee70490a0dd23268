"""Bounces and complaints about our own mail, as mail servers report them to the contact mailbox.

Two standard forms, both ``multipart/report``:

- a delivery status notification (RFC 3464, ``report-type=delivery-status``), as Postfix, Exim
  and the big mailbox providers write a bounce: a ``message/delivery-status`` part with one
  block per recipient (``Final-Recipient``, ``Action``, ``Status``). ``Action: failed`` with a
  permanent status (``5.x.x``) is a hard bounce, with a transient one (``4.x.x``, given up after
  the queue lifetime) a soft bounce; ``delayed``, ``delivered``, ``relayed`` and ``expanded``
  report no failure.
- a feedback report (RFC 5965, ARF, ``report-type=feedback-report``): a recipient marked the
  message as spam at their mailbox provider. Every ``Feedback-Type`` but ``not-spam`` counts as a
  complaint.

Which message it concerns: the Message-ID of the original, which both forms include as a
``message/rfc822`` or ``text/rfc822-headers`` part (the whole message or its headers); failing
that, the report's own ``In-Reply-To`` or ``References``. Campaigns decide whether that
Message-ID is one of theirs (``waarborg.campaigns.message.message_id_delivery``).

No diagnostic text is kept: it can quote the address. Nothing here raises on a mail.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import Message

HARD_BOUNCE, SOFT_BOUNCE, COMPLAINT = "hard_bounce", "soft_bounce", "complaint"
_STATUS = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")
_MESSAGE_ID = re.compile(r"<[^<>\s]+@[^<>\s]+>")


@dataclass(frozen=True)
class MailReport:
    kind: str  # HARD_BOUNCE, SOFT_BOUNCE or COMPLAINT: the campaigns' MailEvent kinds
    message_id: str  # of the message it is about, as quoted; "" when the report names none
    status: str  # the enhanced status code ("5.1.1"); "" for a complaint


def _report_type(message: Message) -> str:
    if message.get_content_type() != "multipart/report":
        return ""
    return str(message.get_param("report-type", "", header="content-type") or "").lower()


def _parts(message: Message) -> list[Message]:
    """The report's parts, without descending into the original message it includes."""
    payload = message.get_payload()
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _blocks(part: Message) -> list[Message]:
    """The header blocks of a ``message/delivery-status`` or ``message/feedback-report`` part:
    the per-message block first, then one per recipient. The parser gives the first form as a
    list of messages; other parts (or a mislabelled one) are read from their text."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(payload or "")
    blocks = re.split(r"\r?\n[ \t]*\r?\n", text.strip())
    return [email.message_from_string(b + "\n", policy=email.policy.compat32) for b in blocks]


def _original_id(report: Message) -> str:
    """The Message-ID of the message the report is about."""
    for part in _parts(report)[1:]:
        kind = part.get_content_type()
        original: Message | None = None
        if kind in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                original = inner[0]
        elif kind in ("text/rfc822-headers", "message/rfc822-headers", "text/global-headers"):
            raw = part.get_payload(decode=True)
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
            original = email.message_from_string(text, policy=email.policy.compat32)
        found = _MESSAGE_ID.search(str(original.get("Message-ID", ""))) if original else None
        if found:
            return found.group(0)
    for name in ("In-Reply-To", "References"):
        found = _MESSAGE_ID.search(str(report.get(name, "")))
        if found:
            return found.group(0)
    return ""


def _field(block: Message, name: str) -> str:
    return " ".join(str(block.get(name, "")).split()).lower()


def _bounces(report: Message, message_id: str) -> list[MailReport]:
    found: list[MailReport] = []
    for part in _parts(report):
        if part.get_content_type() not in (
            "message/delivery-status",
            "message/global-delivery-status",
        ):
            continue
        for block in _blocks(part)[1:]:  # the first block is about the message, not a recipient
            if _field(block, "Action") != "failed":
                continue
            status = _STATUS.match(_field(block, "Status"))
            if status is None or status.group(1) == "2":
                continue
            kind = HARD_BOUNCE if status.group(1) == "5" else SOFT_BOUNCE
            found.append(MailReport(kind, message_id, ".".join(status.groups())))
    return found


def _complaints(report: Message, message_id: str) -> list[MailReport]:
    for part in _parts(report):
        if part.get_content_type() != "message/feedback-report":
            continue
        blocks = _blocks(part)
        feedback = _field(blocks[0], "Feedback-Type") if blocks else ""
        if feedback and feedback != "not-spam":
            return [MailReport(COMPLAINT, message_id, "")]
    return []


def mail_reports(message: Message) -> tuple[MailReport, ...]:
    """The bounces and complaints a mail reports; none for any other mail. Never raises."""
    try:
        kind = _report_type(message)
        if kind not in ("delivery-status", "feedback-report"):
            return ()
        message_id = _original_id(message)
        found = _bounces(message, message_id) if kind == "delivery-status" else []
        found += _complaints(message, message_id) if kind == "feedback-report" else []
    except Exception:  # a report too broken to read is still an automatic mail, kept as such
        return ()
    # One per kind: a report listing the same recipient twice is one bounce.
    return tuple({r.kind: r for r in found}.values())
