"""The webhook connector against a real HTTP server on this machine: signed bodies, the step id
as idempotency key, retries with a doubling pause, and what a refusal does to the answer."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from waarborg.connectors.base import ConnectorError, Person
from waarborg.connectors.tests.receiver import receiver_running, with_webhook
from waarborg.connectors.webhook import WebhookConnector
from waarborg.policy.schema import I18n, System
from waarborg.rights.exports import export_download
from waarborg.rights.models import Request, Step
from waarborg.rights.tests.support import carry_out, confirmed, link, outbox, pro
from waarborg.rights.worker import tasks_run

pytestmark = pytest.mark.django_db
NAME = I18n(nl="Klantsysteem", en="Customer system")


@pytest.fixture
def receiver(edited_policy):
    with receiver_running() as running:
        edited_policy(with_webhook(running.url))
        yield running


def _system(url: str, **extra: object) -> System:
    return System(
        connector="webhook", name=NAME, url=url, secret_env="WAARBORG_WEBHOOK_CRM_SECRET", **extra
    )


def _person() -> Person:
    return Person(subject_id=uuid.uuid4(), reference="R-ABCDEF", step="42")


def test_access_reaches_the_other_system_signed_and_its_rows_are_in_the_zip(receiver, committed):
    receiver.rows = [{"ticket": "T-1", "subject": "Login problem"}]
    pro()
    request = confirmed(committed, ["access", "portability"], language="en")
    carry_out(committed)
    step = Step.objects.get(action="retrieve", system="crm")
    assert receiver.bad_signatures == 0
    assert receiver.received == [
        {
            "operation": "retrieve",
            "subject": str(request.subject_id),
            "request": request.reference,
            "step": str(step.pk),
            "key": str(step.pk),
        }
    ]
    reference, code = link(outbox()[-1])
    download = export_download(reference=reference, code=code)
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    assert "Login problem" in archive.read("index.html").decode()
    assert "Customer system" in archive.read("index.html").decode()
    assert archive.read("portability/crm.csv").decode().splitlines() == [
        "ticket,subject",
        "T-1,Login problem",
    ]


def test_a_busy_system_is_tried_again_with_a_doubling_pause():
    with receiver_running() as receiver:
        receiver.fail_with = [503, 429, 503]
        pauses: list[float] = []
        connector = WebhookConnector("crm", _system(receiver.url), sleep=pauses.append)
        assert connector.erase(_person()).count == 0
    assert pauses == [0.5, 1.0, 2.0]
    assert [r["key"] for r in receiver.received] == ["42"] * 4  # one step, one key


def test_a_repeated_step_is_done_once_by_the_receiver():
    with receiver_running() as receiver:
        receiver.rows = [{"n": 1}]
        connector = WebhookConnector("crm", _system(receiver.url), sleep=lambda s: None)
        assert connector.erase(_person()).count == 1
        assert connector.erase(_person()).count == 1  # the first answer again
    assert receiver.effects("erase") == 1 and len(receiver.received) == 2


def test_a_refusal_is_not_retried_and_an_unreachable_system_is():
    with receiver_running() as receiver:
        receiver.fail_with = [400]
        connector = WebhookConnector("crm", _system(receiver.url), sleep=lambda s: None)
        with pytest.raises(ConnectorError) as refused:
            connector.restrict(_person())
        assert refused.value.retry is False and len(receiver.received) == 1
        gone = receiver.url
    pauses: list[float] = []
    connector = WebhookConnector("crm", _system(gone, attempts=3), sleep=pauses.append)
    with pytest.raises(ConnectorError) as unreachable:
        connector.restrict(_person())
    assert unreachable.value.retry is True and pauses == [0.5, 1.0]


def test_without_its_secret_a_webhook_is_not_called(monkeypatch):
    monkeypatch.delenv("WAARBORG_WEBHOOK_CRM_SECRET")
    with receiver_running() as receiver:
        connector = WebhookConnector("crm", _system(receiver.url))
        with pytest.raises(ConnectorError) as refused:
            connector.retrieve(_person())
    assert refused.value.retry is False and receiver.received == []


def test_a_system_that_refuses_makes_a_partial_answer_with_the_way_to_the_ap(receiver, committed):
    receiver.fail_with = [403]
    pro()
    request = confirmed(committed, ["erasure"], language="en")
    carry_out(committed)
    assert Step.objects.get(system="crm").status == Step.Status.FAILED
    body = outbox()[-1].body
    assert "These systems could not carry out your request" in body and "Customer system" in body
    assert "Autoriteit Persoonsgegevens" in body
    assert Request.objects.get(pk=request.pk).status == Request.Status.DONE


def test_an_unreachable_system_is_tried_again_later_and_the_answer_waits(
    receiver, committed, edited_policy
):
    edited_policy(with_webhook(receiver.url, attempts=1))  # one try per round: no pause here
    receiver.fail_with = [503]
    pro()
    request = confirmed(committed, ["restriction"], language="en")
    with time_machine.travel(timezone.now(), tick=False):
        carry_out(committed)
    step = Step.objects.get(system="crm")
    assert step.status == Step.Status.PENDING and step.not_before is not None
    assert Request.objects.get(pk=request.pk).status == Request.Status.OPEN
    assert committed(tasks_run, worker="w") == 0  # not before the pause is over
    with time_machine.travel(step.not_before + timedelta(seconds=1)):
        carry_out(committed)
    assert Step.objects.get(system="crm").status == Step.Status.DONE
    assert receiver.effects("restrict") == 1
    assert json.loads(json.dumps(receiver.done))  # answers are plain JSON
    assert Request.objects.get(pk=request.pk).status == Request.Status.DONE
