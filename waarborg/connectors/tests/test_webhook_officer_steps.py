"""The rights that wait for a privacy officer, carried out in another system through the webhook
(a real HTTP server on this machine): lifting a restriction there once the person was told, and
sending it the correction the officer made."""

from __future__ import annotations

import uuid

import pytest

from waarborg.conftest import staff
from waarborg.connectors.base import ConnectorError, Person
from waarborg.connectors.tests.receiver import receiver_running, with_webhook
from waarborg.connectors.webhook import WebhookConnector
from waarborg.policy.schema import I18n, System
from waarborg.rights.decisions import request_rectify, restriction_lift
from waarborg.rights.models import Letter, Request, Step
from waarborg.rights.tasks import lifts_due
from waarborg.rights.tests.support import carry_out, confirmed, outbox, pro
from waarborg.vault.models import Subject

pytestmark = pytest.mark.django_db
OFFICER = staff("privacy_officer")
ALL = ["retrieve", "erase", "restrict", "rectify"]


@pytest.fixture
def receiver(edited_policy):
    with receiver_running() as running:
        edited_policy(with_webhook(running.url, operations=ALL))
        yield running


def _sent(receiver, operation: str) -> list[dict[str, object]]:
    return [r for r in receiver.received if r["operation"] == operation]


def test_a_restriction_is_lifted_in_the_other_system_only_after_the_person_was_told(
    receiver, committed
):
    subject = pro()
    request = confirmed(committed, ["restriction"], language="en")
    carry_out(committed)
    assert len(_sent(receiver, "restrict")) == 1

    restriction_lift(actor=OFFICER, reference=request.reference)  # the notice is not sent yet
    assert lifts_due() == 0
    carry_out(committed)
    assert _sent(receiver, "lift") == []
    assert Subject.objects.get(id=subject.id).restricted_at is not None

    Letter.objects.filter(kind="lift").update(sent_at=request.received_at)  # the notice went
    assert lifts_due() == 1
    carry_out(committed)
    [lift] = _sent(receiver, "lift")
    step = Step.objects.get(action="lift", system="crm")
    assert lift == {
        "operation": "lift",
        "subject": str(subject.id),
        "request": request.reference,
        "step": str(step.pk),
        "key": str(step.pk),
    }
    assert receiver.bad_signatures == 0
    assert step.status == Step.Status.DONE and step.result == {"lifted": True}
    assert Step.objects.get(action="lift", system="vault").status == Step.Status.DONE
    assert Subject.objects.get(id=subject.id).restricted_at is None


def test_the_correction_reaches_the_other_system_after_the_officer_made_it(receiver, committed):
    subject = pro()
    request = confirmed(committed, ["rectification"], language="en")
    carry_out(committed)
    assert [(s.system, s.status) for s in Step.objects.filter(action="rectify")] == [
        ("vault", Step.Status.WAITING),
        ("crm", Step.Status.WAITING),
    ]
    assert _sent(receiver, "rectify") == []  # nothing to send before the officer decides

    committed(
        request_rectify,
        actor=OFFICER,
        reference=request.reference,
        fields={"city": "Den Haag", "street": "Lange Voorhout"},
    )
    carry_out(committed)
    [sent] = _sent(receiver, "rectify")
    crm = Step.objects.get(action="rectify", system="crm")
    assert sent["fields"] == {"city": "Den Haag", "street": "Lange Voorhout"}
    assert sent["subject"] == str(subject.id) and sent["key"] == str(crm.pk)
    assert receiver.bad_signatures == 0
    assert crm.status == Step.Status.DONE and crm.result == {"fields": ["city", "street"]}
    body = outbox()[-1].body
    assert "We corrected this data as you asked: Street, Town." in body
    assert "could not" not in body
    assert Request.objects.get(pk=request.pk).status == Request.Status.DONE


def test_a_system_that_does_not_list_rectify_gets_no_correction(committed, edited_policy):
    with receiver_running() as receiver:
        edited_policy(with_webhook(receiver.url))  # the default: retrieve, erase, restrict
        pro()
        request = confirmed(committed, ["rectification"], language="en")
        committed(
            request_rectify, actor=OFFICER, reference=request.reference, fields={"city": "Delft"}
        )
        carry_out(committed)
    assert [s.system for s in Step.objects.filter(action="rectify")] == ["vault"]
    assert receiver.received == []
    assert Request.objects.get(pk=request.pk).status == Request.Status.DONE


def test_a_system_that_refuses_the_correction_makes_a_partial_answer(receiver, committed):
    pro()
    request = confirmed(committed, ["rectification"], language="en")
    receiver.fail_with = [422]
    committed(request_rectify, actor=OFFICER, reference=request.reference, fields={"city": "Ede"})
    carry_out(committed)
    assert Step.objects.get(action="rectify", system="crm").status == Step.Status.FAILED
    body = outbox()[-1].body
    assert "We corrected this data as you asked: Town." in body
    assert "These systems could not carry out your request" in body and "Customer system" in body
    assert "Autoriteit Persoonsgegevens" in body


def _connector(url: str) -> WebhookConnector:
    system = System(
        connector="webhook",
        name=I18n(nl="Klantsysteem", en="Customer system"),
        url=url,
        secret_env="WAARBORG_WEBHOOK_CRM_SECRET",
        operations=ALL,
    )
    return WebhookConnector("crm", system, sleep=lambda s: None)


def test_a_repeated_correction_or_lift_is_done_once_by_the_receiver():
    person = Person(subject_id=uuid.uuid4(), reference="R-ABCDEF", step="7")
    with receiver_running() as receiver:
        connector = _connector(receiver.url)
        connector.rectify(person, {"name": "Zoë Ärger"})
        connector.rectify(person, {"name": "Zoë Ärger"})
        assert connector.lift(Person(person.subject_id, person.reference, "8")) is True
        assert connector.lift(Person(person.subject_id, person.reference, "8")) is True
    assert receiver.effects("rectify") == 1 and receiver.effects("lift") == 1
    assert receiver.received[0]["fields"] == {"name": "Zoë Ärger"}
    assert receiver.bad_signatures == 0


def test_a_lift_the_system_may_not_do_is_reported_and_a_strange_answer_fails(monkeypatch):
    person = Person(subject_id=uuid.uuid4(), reference="R-ABCDEF", step="9")
    with receiver_running() as receiver:
        connector = _connector(receiver.url)
        receiver.done["9"] = {"lifted": False}  # the system keeps it (the law holds the data)
        assert connector.lift(person) is False
        receiver.done["10"] = {"lifted": "maybe"}
        with pytest.raises(ConnectorError) as strange:
            connector.lift(Person(person.subject_id, person.reference, "10"))
    assert strange.value.retry is False
