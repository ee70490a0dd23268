"""One raw mail, as far as it can be read: who sent it, what it says, which right it asks for.

Nothing here raises on a mail, whatever its charset or MIME structure: a part that cannot be
decoded is read with replacement characters, a header that cannot be parsed counts as absent.
A mail without a readable sender stays in the mailbox for a person (there is nobody to answer).
"""

from __future__ import annotations

import email
import email.policy
import hashlib
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses
from html.parser import HTMLParser

from email_validator import EmailNotValidError, validate_email

from waarborg.intake.classify import mail_classify
from waarborg.intake.reports import MailReport, mail_reports

# What a request says fits in this much text; the rest of a long mail stays in the mailbox copy.
EXPLANATION_LIMIT = 10_000
# Senders that are machines: answering them would start a mail loop (RFC 3834).
_MACHINE_LOCAL_PARTS = {"mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply"}


@dataclass(frozen=True)
class ReadMail:
    key: str  # what the mail is recorded as handled by: see mail_key
    sender: str | None  # the From address, checked; None when there is none to answer
    automatic: bool  # a bounce or an auto-reply: recorded, never filed as a request
    subject: str
    text: str
    kinds: tuple[str, ...]
    language: str
    # Bounces and complaints about a message we sent (RFC 3464 / RFC 5965): see reports.py.
    reports: tuple[MailReport, ...] = ()
    message_id: str = ""  # the mail's own Message-ID: our letters answer in its thread

    @property
    def explanation(self) -> str:
        """What the privacy officer reads of the mail beside the request."""
        both = f"{self.subject}\n\n{self.text}".strip() if self.subject else self.text.strip()
        return both[:EXPLANATION_LIMIT]


def mail_key(message_id: str | None, raw: bytes) -> str:
    """SHA-256 of the Message-ID, or of the whole raw mail when it has none: the same mail
    read twice (after a crash, or by two fetchers) gives the same key."""
    if message_id and message_id.strip():
        return hashlib.sha256(b"id:" + " ".join(message_id.split()).encode()).hexdigest()
    return hashlib.sha256(b"raw:" + raw).hexdigest()


def _header(message: Message, name: str) -> str:
    """A header decoded to text (RFC 2047), or "" when absent or unreadable."""
    try:
        value = message.get(name)
        if value is None:
            return ""
        return " ".join(str(make_header(decode_header(str(value)))).split())
    except Exception:  # any charset, any malformation: the header counts as absent
        return ""


def _sender(message: Message) -> str | None:
    try:
        pairs = getaddresses([str(v) for v in message.get_all("From") or []])
    except Exception:
        return None
    for _, address in pairs:
        try:
            checked = validate_email(address.strip(), check_deliverability=False)
        except (EmailNotValidError, ValueError, TypeError):
            continue
        return str(checked.normalized)
    return None


def _is_automatic(message: Message, sender: str | None) -> bool:
    auto = _header(message, "Auto-Submitted").lower()
    precedence = _header(message, "Precedence").lower()
    return (
        (auto != "" and auto != "no")
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or bool(_header(message, "X-Autoreply") or _header(message, "X-Autorespond"))
        or message.get_content_type() == "multipart/report"
        or (sender is not None and sender.split("@")[0].lower() in _MACHINE_LOCAL_PARTS)
    )


class _HtmlText(HTMLParser):
    """The words of an HTML part, blocks as new lines; scripts, styles and quoted mails (a
    reply's ``blockquote``) left out: only what this person wrote now is read for a right."""

    _SKIP = {"script", "style", "head", "title", "blockquote"}
    _BLOCK = {"p", "br", "div", "li", "tr", "h1", "h2", "h3"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _html_text(html: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient; this is the last guard, not the rule
        return html
    return "".join(parser.parts)


def _part_text(part: Message) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except (LookupError, ValueError):  # an unknown charset name
        return payload.decode("utf-8", errors="replace")


def _body(message: Message) -> str:
    """The first text/plain part that is not an attachment; else the first HTML part as text."""
    plain: str | None = None
    html: str | None = None
    try:
        parts = list(message.walk())
    except Exception:
        parts = [message]
    for part in parts:
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = _part_text(part)
        elif kind == "text/html" and html is None:
            html = _html_text(_part_text(part))
    text = plain if plain is not None else (html or "")
    return text.replace("\x00", "").strip()


def mail_read(raw: bytes) -> ReadMail:
    """Read one raw mail; never raises."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception:  # the parser is lenient; a failure here still keeps the mail
        message = Message()
    sender = _sender(message)
    subject = _header(message, "Subject").replace("\x00", "")
    text = _body(message)
    found = mail_classify(
        subject=subject, text=text, declared_language=_header(message, "Content-Language")
    )
    return ReadMail(
        key=mail_key(_header(message, "Message-ID"), raw),
        sender=sender,
        automatic=_is_automatic(message, sender),
        subject=subject,
        text=text,
        kinds=found.kinds,
        language=found.language,
        reports=mail_reports(message),
        message_id=_header(message, "Message-ID"),
    )
