"""What a privacy officer decides: classify an unclear request, extend its deadline within the
first month, refuse it with reasons; every letter says what the person can do next."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from waarborg.conftest import staff
from waarborg.core.errors import Refusal
from waarborg.rights.models import Letter, Request
from waarborg.rights.selectors import request_queue
from waarborg.rights.services import (
    request_classify,
    request_extend,
    request_file,
    request_refuse,
)
from waarborg.rights.tests.support import NOT_ON_FILE, ON_FILE, customer, outbox

pytestmark = pytest.mark.django_db
OFFICER = staff("privacy_officer")
AMS = ZoneInfo("Europe/Amsterdam")
RECEIVED = datetime(2026, 3, 2, 10, 0, tzinfo=AMS)  # a Monday; due Thursday 2 April 2026


def _filed(committed, kinds=("access",), language="en", email=ON_FILE) -> Request:
    customer()
    with time_machine.travel(RECEIVED, tick=False):
        return committed(
            request_file, kinds=list(kinds), email=email, language=language, channel="email"
        )


def test_an_unclear_request_is_classified_by_the_officer_only(committed):
    request = _filed(committed, kinds=["unclear"])
    with pytest.raises(Refusal) as refused:
        request_classify(actor=staff("support"), reference=request.reference, kinds=["access"])
    assert refused.value.code == "role_not_permitted"
    done = request_classify(actor=OFFICER, reference=request.reference, kinds=["erasure"])
    assert done.kinds == ["erasure"]
    with pytest.raises(Refusal) as again:
        request_classify(actor=OFFICER, reference=request.reference, kinds=["access"])
    assert again.value.code == "not_unclear"


def test_an_extension_within_the_first_month_tells_the_person_why_and_until_when(committed):
    request = _filed(committed)
    assert request.due.isoformat() == "2026-04-02"
    with time_machine.travel(datetime(2026, 4, 2, 16, 0, tzinfo=AMS), tick=False):
        extended = committed(
            request_extend,
            actor=OFFICER,
            reference=request.reference,
            reason="Your request covers eleven years of invoices.",
        )
    assert extended.extended_until.isoformat() == "2026-06-02"
    letter = outbox()[-1]
    assert "more time" in letter.subject
    assert "Your request covers eleven years of invoices." in letter.body
    assert "2 June 2026" in letter.body
    assert "Autoriteit Persoonsgegevens" in letter.body
    with pytest.raises(Refusal) as twice:
        request_extend(actor=OFFICER, reference=request.reference, reason="Again.")
    assert twice.value.code == "already_extended"
    assert Letter.objects.filter(request=request, kind="extension").count() == 1


def test_no_extension_after_the_first_month(committed):
    request = _filed(committed)
    with (
        time_machine.travel(datetime(2026, 4, 3, 9, 0, tzinfo=AMS), tick=False),
        pytest.raises(Refusal) as late,
    ):
        request_extend(actor=OFFICER, reference=request.reference, reason="Busy.")
    assert late.value.code == "too_late"
    assert "2026-04-02" in str(late.value.message)
    assert Request.objects.get(id=request.id).extended_until is None


def test_a_refusal_gives_the_reasons_and_the_way_to_the_authority_and_court(committed):
    request = _filed(committed, language="nl")
    with pytest.raises(Refusal) as bad:
        request_refuse(actor=OFFICER, reference=request.reference, grounds="boring", reasons="x")
    assert bad.value.code == "bad_grounds"
    refused = committed(
        request_refuse,
        actor=OFFICER,
        reference=request.reference,
        grounds="excessive",
        reasons="Dit is het twaalfde gelijke verzoek deze maand.",
    )
    assert refused.status == Request.Status.REFUSED
    letter = outbox()[-1]
    assert "afgewezen" in letter.subject
    assert "buitensporig" in letter.body
    assert "Dit is het twaalfde gelijke verzoek deze maand." in letter.body
    assert "Autoriteit Persoonsgegevens" in letter.body
    assert (
        "https://autoriteitpersoonsgegevens.nl/een-tip-of-klacht-indienen-bij-de-ap" in letter.body
    )
    assert "rechter" in letter.body
    with pytest.raises(Refusal) as closed:
        request_extend(actor=OFFICER, reference=request.reference, reason="Late.")
    assert closed.value.code == "request_closed"


def test_the_queue_sorts_by_deadline_and_marks_the_last_days(committed):
    first = _filed(committed)
    with time_machine.travel(RECEIVED + timedelta(days=10), tick=False):
        second = committed(
            request_file, kinds=["erasure"], email=NOT_ON_FILE, language="nl", channel="center"
        )
    with time_machine.travel(RECEIVED + timedelta(days=20), tick=False):
        committed(request_extend, actor=OFFICER, reference=first.reference, reason="Complex.")
    queue = request_queue(today=datetime(2026, 4, 8).date())
    assert [q.request.reference for q in queue] == [second.reference, first.reference]
    assert (queue[0].days_left, queue[0].mark) == (5, "7")  # due Monday 13 April (12th: Sunday)
    assert queue[1].mark == ""
    late = request_queue(today=datetime(2026, 4, 14).date())[0]
    assert (late.days_left, late.mark) == (-1, "late")
