"""Steps as rows: claimed by one worker at a time, taken back after a worker dies, done once;
and the worker's housekeeping (letters that did not go out, archives whose link ran out)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from waarborg.audit.models import AuditEntry
from waarborg.rights.execute import step_execute
from waarborg.rights.exports import exports_expire
from waarborg.rights.letters import letters_send_pending
from waarborg.rights.models import Export, Letter, Request, Step
from waarborg.rights.steps import LEASE, Lost, step_claim_next
from waarborg.rights.tasks import steps_run
from waarborg.rights.tests.support import carry_out, confirmed, customer, outbox, pro
from waarborg.rights.worker import worker_start

pytestmark = pytest.mark.django_db


def _erasures(subject_id) -> int:
    return AuditEntry.objects.filter(subject_id=subject_id, action="subject.erase").count()


def test_two_workers_never_hold_the_same_step_and_a_late_one_loses_its_work(committed):
    subject = customer()
    request = confirmed(committed, ["erasure"])
    first = step_claim_next(request_id=request.pk, worker="w1")
    assert first is not None and first.action == "erase"
    assert step_claim_next(request_id=request.pk, worker="w2") is None  # w1 holds it
    with time_machine.travel(timezone.now() + LEASE + timedelta(seconds=1)):
        second = step_claim_next(request_id=request.pk, worker="w2")  # w1 seems dead
        assert second is not None and second.pk == first.pk
        with pytest.raises(Lost):
            step_execute(first)  # w1 wakes up: its claim is gone, so it erases nothing
        assert _erasures(subject.id) == 0
        step_execute(second)
    assert _erasures(subject.id) == 1
    assert Step.objects.get(pk=first.pk).status == Step.Status.DONE


def test_a_worker_started_again_under_its_own_name_takes_back_its_steps_at_once(committed):
    subject = customer()
    request = confirmed(committed, ["erasure"])
    carry_out(committed)  # nothing held: all done
    assert Request.objects.get(pk=request.pk).status == Request.Status.DONE
    held = customer(email="held@example.nl")
    request = confirmed(committed, ["erasure"], email="held@example.nl")
    assert step_claim_next(request_id=request.pk, worker="w1") is not None  # then w1 died
    assert committed(worker_start, worker="w1") == 1
    carry_out(committed)
    assert _erasures(held.id) == 1 and _erasures(subject.id) == 1
    assert Request.objects.get(pk=request.pk).status == Request.Status.DONE


def test_running_a_request_again_repeats_nothing_and_mails_one_answer(committed):
    subject = pro()
    request = confirmed(committed, ["erasure", "access"])
    carry_out(committed)
    sent = len(outbox())
    committed(steps_run, request_id=request.pk, worker="w9")
    committed(letters_send_pending)
    assert len(outbox()) == sent
    assert Letter.objects.filter(request=request, kind="answer").count() == 1
    assert _erasures(subject.id) == 1
    assert [s.attempts for s in Step.objects.filter(request=request)] == [1, 1, 1]


def test_an_answer_that_did_not_go_out_is_sent_by_the_worker_once(committed):
    pro()
    request = confirmed(committed, ["access"])
    carry_out(committed)
    Letter.objects.filter(request=request, kind="answer").update(sent_at=None, attempted_at=None)
    before = len(outbox())
    assert letters_send_pending() == 1 and letters_send_pending() == 0
    assert len(outbox()) == before + 1
    assert "/privacy/center/download/" in outbox()[-1].body  # a fresh link


def test_an_archive_not_downloaded_is_emptied_when_its_link_expires(committed):
    pro()
    confirmed(committed, ["access"])
    carry_out(committed)
    assert exports_expire() == 0
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        assert exports_expire() == 1
    assert Export.objects.get().archive is None


def test_a_request_refused_while_carried_out_is_not_carried_further(committed):
    from waarborg.conftest import staff
    from waarborg.rights.services import request_refuse

    subject = customer()
    request = confirmed(committed, ["erasure"])
    request_refuse(
        actor=staff("privacy_officer"),
        reference=request.reference,
        grounds="excessive",
        reasons="The fifth identical request this week.",
    )
    carry_out(committed)
    assert _erasures(subject.id) == 0
    assert {s.status for s in Step.objects.filter(request=request)} == {Step.Status.FAILED}
    assert not Letter.objects.filter(request=request, kind="answer").exists()
