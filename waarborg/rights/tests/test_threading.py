"""A request that came in by e-mail is answered in the person's own thread: every letter about
it carries ``In-Reply-To`` and ``References`` with the Message-ID of their mail, as it arrives
at a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest

from waarborg.campaigns.tests.support import smtp_sink
from waarborg.rights.models import Request
from waarborg.rights.services import request_confirm, request_file
from waarborg.rights.tests.support import ON_FILE, carry_out, customer, pro

pytestmark = pytest.mark.django_db
THEIR_MAIL = "<CAF3x+q7Yw.2c81@mail.example.org>"


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _file(committed, **changes: str) -> Request:
    """A request for access from the address on file, by e-mail, in answer to THEIR_MAIL."""
    filing = {
        "email": ON_FILE,
        "language": "en",
        "channel": "email",
        "in_reply_to": THEIR_MAIL,
        **changes,
    }
    kinds = [filing.pop("kind", "access")]
    request: Request = committed(request_file, kinds=kinds, **filing)
    return request


def _confirm(committed, message: EmailMessage) -> None:
    found = re.search(r"/privacy/center/confirm/(R-[0-9A-Z]{6})/(\S+)", _body(message))
    assert found, _body(message)
    committed(request_confirm, reference=found.group(1), code=found.group(2))


def test_the_acknowledgement_and_the_answer_land_in_the_mail_thread(committed):
    pro()
    with smtp_sink() as (sink, _port):
        request = _file(committed, language="nl", in_reply_to=f"  {THEIR_MAIL}\n")
        [acknowledgement] = sink.messages
        _confirm(committed, acknowledgement)
        carry_out(committed)
        answer = sink.messages[-1]
    assert len(sink.messages) == 2
    for letter in (acknowledgement, answer):
        assert letter["In-Reply-To"] == THEIR_MAIL
        assert letter["References"] == THEIR_MAIL
        assert letter["Message-ID"] != THEIR_MAIL
        assert request.reference in letter["Message-ID"]
    assert answer["Subject"] == f"Uw privacyverzoek {request.reference}: ons antwoord"
    stored = Request.objects.get(pk=request.pk).in_reply_to
    assert stored and "example.org" not in stored  # sealed: it can name the person's host


def test_a_person_not_on_file_is_answered_in_their_thread_too(committed):
    with smtp_sink() as (sink, _port):
        _file(committed, kind="erasure", email="nobody.here@example.nl")
    [letter] = sink.messages
    assert "We hold no personal data linked to this e-mail address" in _body(letter)
    assert letter["In-Reply-To"] == THEIR_MAIL and letter["References"] == THEIR_MAIL


def test_a_request_from_the_privacy_center_starts_its_own_thread(committed):
    customer()
    with smtp_sink() as (sink, _port):
        _file(committed, channel="center")  # only a mail has a thread to answer in
    [letter] = sink.messages
    assert letter["In-Reply-To"] is None and letter["References"] is None


@pytest.mark.parametrize(
    "message_id",
    [
        "<a@b>\r\nBcc: someone.else@example.org",
        "no-angle-brackets@example.org",
        "<two words@example.org>",
        "<no-at-sign>",
        "<" + "x" * 1000 + "@example.org>",
    ],
)
def test_a_message_id_that_is_not_one_is_left_out_and_the_request_filed(committed, message_id):
    customer()
    with smtp_sink() as (sink, _port):
        request = _file(committed, in_reply_to=message_id)
    [letter] = sink.messages
    assert request.reference in str(letter["Subject"])
    assert letter["In-Reply-To"] is None and letter["References"] is None
    assert letter["Bcc"] is None and "someone.else" not in letter.as_string()
