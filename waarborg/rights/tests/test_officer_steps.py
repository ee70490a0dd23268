"""The rights that need a privacy officer's decision on the way: rectification (the correction),
restriction (lifting it, after telling the person), objection (compelling grounds), and a
request whose rights were unclear."""

from __future__ import annotations

import pytest

from waarborg.conftest import staff
from waarborg.core.actors import Actor
from waarborg.core.errors import Refusal
from waarborg.gate.services import Refused, gate_fields
from waarborg.rights.decisions import objection_grounds, request_rectify, restriction_lift
from waarborg.rights.models import Letter, Request, Step
from waarborg.rights.services import request_classify
from waarborg.rights.tasks import lifts_due
from waarborg.rights.tests.support import carry_out, confirmed, outbox, pro
from waarborg.vault.models import Subject

pytestmark = pytest.mark.django_db
OFFICER = staff("privacy_officer")
SUPPORT = staff("support")


def test_rectification_waits_for_the_officer_and_the_answer_names_the_recipients_told(committed):
    subject = pro()
    request = confirmed(committed, ["rectification"], language="en")
    carry_out(committed)
    assert Step.objects.get(action="rectify").status == Step.Status.WAITING
    assert Request.objects.get(pk=request.pk).status == Request.Status.OPEN
    committed(
        request_rectify, actor=OFFICER, reference=request.reference, fields={"city": "Utrecht"}
    )
    carry_out(committed)
    body = outbox()[-1].body
    assert "We corrected this data as you asked: Town." in body
    assert "Hosting and IT-management provider" in body and "Collection agency" in body
    read = gate_fields(actor=SUPPORT, purpose="administration", subject=subject.id)
    assert not isinstance(read, Refused) and read.fields["city"] == "Utrecht"


def test_a_bad_correction_is_refused_per_field_and_the_step_keeps_waiting(committed):
    pro()
    request = confirmed(committed, ["rectification"])
    with pytest.raises(Refusal) as refused:
        request_rectify(actor=OFFICER, reference=request.reference, fields={"iban": "NL00XXXX"})
    assert refused.value.code == "invalid_fields" and "iban" in refused.value.fields
    assert Step.objects.get(action="rectify").status == Step.Status.WAITING


def test_only_a_privacy_officer_rectifies(committed):
    pro()
    request = confirmed(committed, ["rectification"])
    with pytest.raises(Refusal) as refused:
        request_rectify(actor=SUPPORT, reference=request.reference, fields={"city": "Utrecht"})
    assert refused.value.code == "role_not_permitted"


def test_restriction_stops_every_use_and_is_lifted_only_after_the_person_is_told(committed):
    subject = pro()
    request = confirmed(committed, ["restriction"], language="en")
    carry_out(committed)
    assert "only stored" in outbox()[-1].body
    assert gate_fields(actor=SUPPORT, purpose="administration", subject=subject.id) == Refused(
        "restricted"
    )
    restriction_lift(actor=OFFICER, reference=request.reference)  # letter not sent: no commit
    assert lifts_due() == 0  # the notice has not gone out: nothing is lifted
    carry_out(committed)
    assert Subject.objects.get(id=subject.id).restricted_at is not None
    Letter.objects.filter(kind="lift").update(sent_at=request.received_at)  # the notice went
    assert lifts_due() == 1
    carry_out(committed)
    assert Subject.objects.get(id=subject.id).restricted_at is None


def test_the_lift_notice_is_mailed_before_the_restriction_ends(committed):
    subject = pro()
    request = confirmed(committed, ["restriction"], language="en")
    carry_out(committed)
    committed(restriction_lift, actor=OFFICER, reference=request.reference)
    assert outbox()[-1].subject.endswith("the restriction ends")
    assert Subject.objects.get(id=subject.id).restricted_at is not None
    committed(lifts_due)
    carry_out(committed)
    assert Subject.objects.get(id=subject.id).restricted_at is None
    with pytest.raises(Refusal):
        restriction_lift(actor=OFFICER, reference=request.reference)  # once


def test_objection_stops_marketing_for_good_and_interest_until_grounds_which_are_mailed(committed):
    subject = pro()
    request = confirmed(committed, ["objection"], language="en")
    carry_out(committed)
    body = outbox()[-1].body
    assert "- Offers and promotions" in body and "- Website and app visit logging" in body
    security = staff("security")
    assert gate_fields(actor=security, purpose="security", subject=subject.id) == Refused(
        "objected"
    )
    grounds = "A fraud investigation about this account is running."
    committed(
        objection_grounds,
        actor=OFFICER,
        reference=request.reference,
        purpose="security",
        grounds=grounds,
    )
    letter = outbox()[-1]
    assert grounds in letter.body and "Autoriteit Persoonsgegevens" in letter.body
    assert not isinstance(
        gate_fields(actor=security, purpose="security", subject=subject.id), Refused
    )
    with pytest.raises(Refusal):  # direct marketing: no grounds outweigh it
        objection_grounds(
            actor=OFFICER, reference=request.reference, purpose="offers", grounds=grounds
        )


def test_an_unclear_request_is_carried_out_once_classified(committed):
    pro()
    request = confirmed(committed, ["unclear"], language="en")
    assert not request.steps.exists()
    committed(request_classify, actor=OFFICER, reference=request.reference, kinds=["access"])
    carry_out(committed)
    assert Request.objects.get(pk=request.pk).status == Request.Status.DONE
    assert "/privacy/center/download/" in outbox()[-1].body


def test_a_job_reads_a_restricted_person_for_their_own_request_and_nobody_else_does(committed):
    subject = pro()
    confirmed(committed, ["restriction"])
    carry_out(committed)
    job = Actor.job("rights_steps")
    read = gate_fields(actor=job, purpose="rights", subject=subject.id)
    assert not isinstance(read, Refused) and read.fields["iban"] == "NL91ABNA0417164300"
    token = Actor(kind="system", name="app", scopes=frozenset({"rights"}))
    assert gate_fields(actor=token, purpose="rights", subject=subject.id) == Refused(
        "requests_only"
    )
