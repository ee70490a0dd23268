"""The handover to the collection agency: only after a privacy officer's approval, only four
things per claim, readable with the agency's key alone, registered, and the person told once."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pyrage  # type: ignore[import-untyped]
import pytest
import time_machine
from django.core.management import call_command

from waarborg.audit.models import AuditEntry
from waarborg.billing.handover import handover_approve, handover_select
from waarborg.billing.models import Disclosure, Handover
from waarborg.billing.notices import notice_send
from waarborg.billing.tests.support import age_pair, customer, invoice
from waarborg.conftest import en, nl, staff
from waarborg.core.actors import Actor
from waarborg.core.errors import Refusal
from waarborg.vault.services import subject_erase

pytestmark = pytest.mark.django_db
CLERK, OFFICER = staff("billing"), staff("privacy_officer")
AFTER_DUE = "2026-04-01 10:00 +02:00"


@pytest.fixture
def agency(settings):
    public, identity = age_pair()
    settings.WAARBORG_COLLECTION_AGENCY_RECIPIENT = public
    return identity


def _sealed(data: object) -> bytes:
    assert isinstance(data, bytes | memoryview), "no export was made"
    return bytes(data)


def _overdue_batch() -> Handover:
    invoice(customer(), issued_on=date(2026, 3, 1), cents=10000)  # due 15 March, EUR 121.00
    paid_later = invoice(customer(email="betaler@example.nl"), issued_on=date(2026, 3, 25))
    assert paid_later.due_on > date(2026, 4, 1)  # not yet due: not selected
    with time_machine.travel(AFTER_DUE, tick=False):
        return handover_select(actor=CLERK)


def test_overdue_claims_are_selected_into_a_batch_awaiting_approval(agency):
    batch = _overdue_batch()
    assert batch.status == "awaiting"
    assert [c.invoice.number for c in batch.claims.all()] == ["2026-000001"]
    assert batch.export_csv is None
    assert Disclosure.objects.count() == 0
    with time_machine.travel(AFTER_DUE, tick=False), pytest.raises(Refusal) as again:
        handover_select(actor=CLERK)
    assert again.value.code == "nothing_overdue"  # a claim goes into one batch only


def test_only_a_privacy_officer_approves(agency):
    batch = _overdue_batch()
    with pytest.raises(Refusal) as refused:
        handover_approve(actor=CLERK, handover_id=batch.id)
    assert refused.value.code == "registers_only"
    assert nl(refused.value.message).startswith("Alleen de privacyfunctionaris")
    batch.refresh_from_db()
    assert batch.status == "awaiting"


def test_the_export_holds_only_four_things_and_opens_with_the_agencys_key(
    agency, mailoutbox, django_capture_on_commit_callbacks
):
    batch = _overdue_batch()
    with django_capture_on_commit_callbacks(execute=True):
        handover_approve(actor=OFFICER, handover_id=batch.id)
    batch.refresh_from_db()
    table = pyrage.decrypt(_sealed(batch.export_csv), [agency]).decode()
    rows = list(csv.DictReader(io.StringIO(table)))
    assert rows == [
        {
            "name": "Karel Klant",
            "iban": "NL91ABNA0417164300",
            "email": "karel.klant@example.nl",
            "invoice": "2026-000001",
            "amount_eur": "121.00",
            "due_on": "2026-03-15",
        }
    ]
    claims = json.loads(pyrage.decrypt(_sealed(batch.export_json), [agency]))["claims"]
    assert claims == rows
    for absent in ("Laan", "2511 AA", "Den Haag", "0612345678"):  # address, phone: never
        assert absent not in table
    other_identity = pyrage.x25519.Identity.generate()
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(_sealed(batch.export_csv), [other_identity])


def test_each_handover_is_registered_and_the_person_told_once(
    agency, mailoutbox, django_capture_on_commit_callbacks
):
    batch = _overdue_batch()
    with django_capture_on_commit_callbacks(execute=True):
        handover_approve(actor=OFFICER, handover_id=batch.id)
    row = Disclosure.objects.get()
    assert (row.recipient, row.purpose, row.ground) == (
        "collection_agency",
        "invoicing",
        "contract",
    )
    assert row.approved_by == "staff:privacy_officer-user"
    assert row.what == "2026-000001: EUR 121.00"
    assert row.notice_sent_at is not None
    assert [m.to for m in mailoutbox] == [["karel.klant@example.nl"]]
    assert "incassobureau" in mailoutbox[0].subject
    assert "2026-000001" in mailoutbox[0].body
    assert notice_send(disclosure_id=row.pk) is False  # recorded: never a second letter
    call_command("disclosures", "notify", stdout=io.StringIO())
    assert len(mailoutbox) == 1
    out = io.StringIO()
    call_command("disclosures", stdout=out)
    assert "collection_agency,invoicing,contract" in out.getvalue()
    exported = AuditEntry.objects.get(action="billing.disclosures_read")
    assert (exported.actor, exported.detail["format"]) == ("job:cli", "cli")
    assert exported.detail["subjects"] == [str(row.subject_id)]
    assert AuditEntry.objects.filter(action="billing.handover_approve").count() == 1
    with pytest.raises(Refusal) as twice:
        handover_approve(actor=OFFICER, handover_id=batch.id)
    assert twice.value.code == "handover_decided"


def test_without_the_agencys_key_nothing_is_handed_over(settings, mailoutbox):
    settings.WAARBORG_COLLECTION_AGENCY_RECIPIENT = ""
    batch = _overdue_batch()
    with pytest.raises(Refusal) as refused:
        handover_approve(actor=OFFICER, handover_id=batch.id)
    assert refused.value.code == "agency_key_missing"
    assert "WAARBORG_COLLECTION_AGENCY_RECIPIENT" in en(refused.value.message)
    settings.WAARBORG_COLLECTION_AGENCY_RECIPIENT = "age1notakey"
    with pytest.raises(Refusal) as invalid:
        handover_approve(actor=OFFICER, handover_id=batch.id)
    assert invalid.value.code == "agency_key_invalid"
    batch.refresh_from_db()
    assert (batch.status, Disclosure.objects.count(), len(mailoutbox)) == ("awaiting", 0, 0)


def test_a_person_erased_before_approval_is_not_handed_over(
    agency, mailoutbox, django_capture_on_commit_callbacks
):
    batch = _overdue_batch()
    claim = batch.claims.get()
    subject_erase(actor=Actor.job("test"), subject_id=claim.invoice.subject_id, reason="request")
    with django_capture_on_commit_callbacks(execute=True):
        handover_approve(actor=OFFICER, handover_id=batch.id)
    claim.refresh_from_db()
    assert claim.refused == "erased"
    assert (Disclosure.objects.count(), len(mailoutbox)) == (0, 0)
