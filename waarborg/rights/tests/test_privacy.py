"""A requester's address and words are personal data: sealed at rest, opened only through the
gate for a privacy officer or the letters, and every look-up and opening is audited."""

from __future__ import annotations

import json

import pytest
from cryptography.exceptions import InvalidTag
from django.db import connection

from waarborg.audit.models import AuditEntry
from waarborg.conftest import staff
from waarborg.core.errors import Refusal
from waarborg.gate.requesters import gate_request_open
from waarborg.rights.models import Request
from waarborg.rights.services import request_file
from waarborg.rights.tests.support import NOT_ON_FILE, ON_FILE, customer

pytestmark = pytest.mark.django_db
WORDS = "Ik wil weten wat u over mijn abonnement Zwaluwstaart bewaart."


def _rows() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM rights_request")
        return json.dumps(cursor.fetchall(), default=str)


def test_the_address_and_explanation_are_not_stored_in_the_clear():
    person = customer()
    for email in (ON_FILE, NOT_ON_FILE):
        request_file(
            kinds=["access"], email=email, language="nl", channel="center", explanation=WORDS
        )
    stored = _rows()
    assert "R-" in stored  # the rows are there
    for needle in (ON_FILE, NOT_ON_FILE, "Zwaluwstaart", "annelies", "nobody.here"):
        assert needle not in stored.lower()
    audit = json.dumps([e.canonical() for e in AuditEntry.objects.all()], ensure_ascii=False)
    assert str(person.id) in audit
    for needle in (ON_FILE, NOT_ON_FILE, "Zwaluwstaart"):
        assert needle not in audit


def test_filing_looks_up_the_address_by_blind_index_and_audits_it():
    person = customer()
    known = request_file(kinds=["erasure"], email=ON_FILE, language="en", channel="api")
    unknown = request_file(kinds=["erasure"], email=NOT_ON_FILE, language="en", channel="api")
    lookups = list(AuditEntry.objects.filter(action="rights.lookup").order_by("id"))
    assert [(e.subject_id, e.detail) for e in lookups] == [
        (person.id, {"matches": 1}),
        (None, {"matches": 0}),
    ]
    filed = AuditEntry.objects.filter(action="rights.file").order_by("id")
    assert [e.detail["request"] for e in filed] == [known.reference, unknown.reference]
    assert all(e.purpose == "rights" for e in filed)


def test_a_look_alike_spelling_of_the_address_finds_the_same_person():
    person = customer()
    request = request_file(
        kinds=["access"], email="  Annelies.DeVries@EXAMPLE.nl ", language="en", channel="center"
    )
    assert request.subject_id == person.id


def test_only_a_privacy_officer_opens_what_the_requester_wrote():
    customer()
    request = request_file(
        kinds=["objection"], email=ON_FILE, language="nl", channel="email", explanation=WORDS
    )
    sealed = {"email": request.email, "explanation": request.explanation}
    args = {"reference": request.reference, "subject_id": request.subject_id, "sealed": sealed}
    with pytest.raises(Refusal):
        gate_request_open(actor=staff("support"), **args)
    opened = gate_request_open(actor=staff("privacy_officer"), **args)
    assert opened == {"email": ON_FILE, "explanation": WORDS}
    entry = AuditEntry.objects.filter(action="rights.read").get()
    assert entry.fields == ["email", "explanation"]
    assert entry.detail == {"request": request.reference}


def test_a_sealed_text_cannot_be_moved_to_another_request():
    customer()
    one = request_file(kinds=["access"], email=ON_FILE, language="nl", channel="center")
    two = request_file(kinds=["access"], email=NOT_ON_FILE, language="nl", channel="center")
    Request.objects.filter(id=two.id).update(email=one.email)
    with pytest.raises(InvalidTag):
        gate_request_open(
            actor=staff("privacy_officer"),
            reference=two.reference,
            subject_id=None,
            sealed={"email": one.email},
        )
