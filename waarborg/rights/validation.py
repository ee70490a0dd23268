"""What a filed request must be: known rights, an e-mail address, a language, a door."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from waarborg.core.errors import Refusal, Text
from waarborg.gate.records import gate_email_key
from waarborg.rights.models import Request

EXPLANATION_MAX = 5000
# A Message-ID as RFC 5322 writes it (msg-id: "<" id-left "@" id-right ">"), printable ASCII
# without spaces, within a header line: anything else is not repeated in our letters' headers.
_MESSAGE_ID = re.compile(r"<[!-;=?-~]{1,490}@[!-;=?-~]{1,490}>")
# Control and format characters (bidi overrides), surrogates: kept out of what staff read.
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn"}


@dataclass(frozen=True)
class Filing:
    kinds: list[str]
    email: str
    language: str
    channel: str
    explanation: str


class InvalidRequest(Refusal):
    def __init__(self, fields: dict[str, Text]) -> None:
        super().__init__("invalid_fields", _("One or more fields are not valid."), fields)


def filing_clean(
    *, kinds: Sequence[str], email: str, language: str, channel: str, explanation: str
) -> Filing:
    """The request as it will be stored; ``InvalidRequest`` naming every bad field."""
    problems: dict[str, Text] = {}
    clean_kinds: list[str] = []
    clean_text = ""
    try:
        clean_kinds = kinds_clean(kinds, unclear=True)
    except InvalidRequest as exc:
        problems.update(exc.fields)
    if gate_email_key(email) is None or len(email) > 320:
        problems["email"] = _("This is not a valid e-mail address.")
    if language not in ("nl", "en"):
        problems["language"] = _("Choose nl or en.")
    if channel not in Request.Channel.values:
        problems["channel"] = _("Unknown channel.")
    try:
        clean_text = text_clean(explanation, name="explanation", required=False)
    except InvalidRequest as exc:
        problems.update(exc.fields)
    if problems:
        raise InvalidRequest(problems)
    address = " ".join(email.split())
    return Filing(clean_kinds, address, language, channel, clean_text)


def message_id_clean(message_id: str, *, channel: str) -> str:
    """The Message-ID a request by e-mail answers, as its letters will repeat it; "" for another
    door, or when it is not a well-formed one (the request is filed all the same)."""
    found = _MESSAGE_ID.fullmatch(message_id.strip()) if isinstance(message_id, str) else None
    return found.group(0) if found and channel == Request.Channel.EMAIL else ""


def kinds_clean(kinds: Sequence[str], *, unclear: bool) -> list[str]:
    """Known rights, each once, in the order of ``Request.Kind``; ``unclear`` only alone."""
    allowed = [k for k in Request.Kind.values if unclear or k != Request.Kind.UNCLEAR]
    chosen = set(kinds) if not isinstance(kinds, str) else {kinds}
    if not chosen or not chosen <= set(allowed):
        raise InvalidRequest({"kinds": _("Choose one or more of the rights listed.")})
    if Request.Kind.UNCLEAR in chosen and len(chosen) > 1:
        chosen.discard(Request.Kind.UNCLEAR)
    return [k for k in allowed if k in chosen]


def text_clean(text: str, *, name: str, required: bool) -> str:
    """Free text without invisible characters, within EXPLANATION_MAX characters."""
    if not isinstance(text, str):
        raise InvalidRequest({name: _("This must be text.")})
    clean = "".join(
        c
        for c in unicodedata.normalize("NFC", text)
        if c in "\n\t" or unicodedata.category(c) not in _INVISIBLE
    ).strip()
    if required and not clean:
        raise InvalidRequest({name: _("This field is required.")})
    if len(clean) > EXPLANATION_MAX:
        raise InvalidRequest({name: _("This text is too long (at most 5000 characters).")})
    return clean
