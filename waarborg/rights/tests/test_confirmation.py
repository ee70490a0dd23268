"""Identity by what is on file: a single-use link to the address on file, valid 7 days; a letter
that did not go out is sent later, once, with a fresh link."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from waarborg.core.errors import Refusal
from waarborg.rights.letters import letters_send_pending
from waarborg.rights.models import Letter, Request
from waarborg.rights.services import request_confirm, request_file, requests_lapse
from waarborg.rights.tests.support import NOT_ON_FILE, ON_FILE, confirm_code, customer, outbox

pytestmark = pytest.mark.django_db


def _file(committed, email=ON_FILE):
    return committed(request_file, kinds=["access"], email=email, language="en", channel="center")


def _refused(reference: str, code: str) -> str:
    with pytest.raises(Refusal) as refused:
        request_confirm(reference=reference, code=code)
    return refused.value.code


def test_the_link_works_once(committed):
    customer()
    _file(committed)
    reference, code = confirm_code(outbox()[-1])
    assert _refused(reference, code + "x") == "bad_code"
    assert request_confirm(reference=reference, code=code).status == Request.Status.OPEN
    assert _refused(reference, code) == "bad_code"


def test_the_link_expires_after_seven_days(committed):
    customer()
    _file(committed)
    reference, code = confirm_code(outbox()[-1])
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        assert _refused(reference, code) == "bad_code"
    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
        assert request_confirm(reference=reference, code=code).confirmed_at is not None


def test_an_unknown_reference_reads_like_a_bad_code(committed):
    assert _refused("R-ZZZZZZ", "whatever") == "bad_code"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_letter_the_mail_server_refused_goes_out_later_once_with_a_fresh_link(committed):
    customer()
    down = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": _closed_port(),
        "EMAIL_TIMEOUT": 2,
    }
    with override_settings(**down):
        request = _file(committed)  # the filing itself succeeds: the mail is not its transaction
    assert outbox() == []
    letter = Letter.objects.get(request=request)
    assert letter.sent_at is None and letter.attempted_at is None
    stale_digest = Request.objects.get(id=request.id).confirm_digest
    assert letters_send_pending() == 1
    assert letters_send_pending() == 0
    [message] = outbox()
    reference, code = confirm_code(message)
    assert Request.objects.get(id=request.id).confirm_digest not in ("", stale_digest)
    assert (
        message.extra_headers["Message-ID"]
        == f"<letter-{letter.pk}.{reference}@capitalmediaservices.nl>"
    )
    assert request_confirm(reference=reference, code=code).status == Request.Status.OPEN


def test_a_claimed_letter_is_left_alone_until_its_claim_times_out(committed):
    customer()
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        request = request_file(kinds=["access"], email=ON_FILE, language="en", channel="api")
    letter = Letter.objects.get(request=request)
    Letter.objects.filter(id=letter.id).update(attempted_at=timezone.now())  # a sender died
    assert letters_send_pending() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert letters_send_pending() == 1
    assert len(outbox()) == 1


def test_unconfirmed_requests_lapse_after_seven_days_and_confirmed_ones_stay(committed):
    customer()
    kept = _file(committed)
    request_confirm(reference=kept.reference, code=confirm_code(outbox()[-1])[1])
    forgotten = _file(committed)
    unknown = _file(committed, email=NOT_ON_FILE)
    assert requests_lapse() == 0
    with time_machine.travel(timezone.now() + timedelta(days=7, hours=1)):
        assert requests_lapse() == 2
    states = dict(Request.objects.values_list("reference", "status"))
    assert states[kept.reference] == Request.Status.OPEN
    assert states[forgotten.reference] == states[unknown.reference] == Request.Status.LAPSED
