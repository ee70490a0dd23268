"""Invoices are the books: each one stays seven years after the end of its financial year (from
1 January 00:00 in Amsterdam), then goes with its lines, payments and collection claim, also
while a newer invoice still holds the customer; the disclosure register keeps its entry."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from waarborg.audit.models import AuditEntry
from waarborg.billing.handover import handover_approve, handover_select
from waarborg.billing.models import Claim, Disclosure, Handover, Invoice, InvoiceLine, Payment
from waarborg.billing.services import payment_register
from waarborg.billing.tests.support import BACKEND, age_pair, customer, invoice
from waarborg.conftest import staff
from waarborg.core.actors import Actor
from waarborg.retention.certificates import certificate_deletions, certificate_verify
from waarborg.retention.models import SweepRun
from waarborg.retention.planning import retention_event_record, schedule_refresh
from waarborg.retention.sweep import retention_sweep
from waarborg.vault.models import Subject

AMS = ZoneInfo("Europe/Amsterdam")
JOB = Actor.job("test-sweep")
BOOKS = {"name", "iban", "street", "house_number", "postcode", "city"}
# The first invoice (2026) goes at 1 January 2034 00:00 in Amsterdam: 23:00 UTC the day before.
GOES = dt.datetime(2034, 1, 1, tzinfo=AMS)


def _sweep_at(when: dt.datetime) -> SweepRun | None:
    with time_machine.travel(when, tick=False):
        schedule_refresh()
        return retention_sweep(actor=JOB, batch=2)


def _fields(subject_id: UUID) -> set[str] | None:
    subject = Subject.objects.get(id=subject_id)
    return None if subject.erased_at is not None else set(subject.values)


@pytest.fixture
def books(db: None, settings) -> dict[str, object]:
    """A customer since January 2026 with an unpaid invoice of 2026 handed over to the collection
    agency, a paid invoice of 2027, and the contract ended at the end of 2027."""
    settings.WAARBORG_COLLECTION_AGENCY_RECIPIENT = age_pair()[0]
    with time_machine.travel(dt.datetime(2026, 1, 15, 10, tzinfo=AMS), tick=False):
        person = customer()
    with time_machine.travel(dt.datetime(2026, 3, 1, 10, tzinfo=AMS), tick=False):
        old = invoice(person, issued_on=dt.date(2026, 3, 1), cents=10000)
    with time_machine.travel(dt.datetime(2026, 4, 1, 10, tzinfo=AMS), tick=False):
        batch = handover_select(actor=staff("billing"))
        handover_approve(actor=staff("privacy_officer"), handover_id=batch.id)
    with time_machine.travel(dt.datetime(2027, 6, 1, 10, tzinfo=AMS), tick=False):
        new = invoice(person, issued_on=dt.date(2027, 6, 1))
        payment_register(
            actor=BACKEND, number=new.number, amount_cents=new.total_cents, paid_on=new.issued_on
        )
    ended = dt.datetime(2027, 12, 31, 12, tzinfo=AMS)
    retention_event_record(subject_id=person, event="end_of_contract", at=ended)
    retention_event_record(subject_id=person, event="claim_settled", at=ended)
    return {"person": person, "old": old, "new": new, "handover": batch.id}


def test_an_invoice_of_2026_is_there_on_31_december_2033_and_gone_on_1_january_2034(
    books: dict[str, object],
) -> None:
    person, old, new = books["person"], books["old"], books["new"]
    assert isinstance(person, UUID) and isinstance(old, Invoice) and isinstance(new, Invoice)
    # the customer's other data goes on time (two years after the contract); the books stay
    administration_ends = dt.datetime(2029, 12, 31, 12, tzinfo=AMS)
    _sweep_at(administration_ends - dt.timedelta(seconds=1))
    assert _fields(person) == BOOKS | {"email", "phone"}
    _sweep_at(administration_ends)
    assert _fields(person) == BOOKS
    assert Subject.objects.get(id=person).restricted_at is not None
    assert Invoice.objects.filter(id=old.id).exists()

    last_second = dt.datetime(2033, 12, 31, 23, 59, 59, tzinfo=AMS)
    assert last_second.astimezone(dt.UTC) == dt.datetime(2033, 12, 31, 22, 59, 59, tzinfo=dt.UTC)
    assert _sweep_at(last_second) is None  # nothing due yet
    assert Invoice.objects.filter(id=old.id).exists()
    assert InvoiceLine.objects.filter(invoice_id=old.id).count() == 1
    assert Claim.objects.filter(invoice_id=old.id).exists()
    [register] = Disclosure.objects.filter(subject_id=person)
    assert register.what.startswith(f"{old.number}: EUR")

    with time_machine.travel(GOES, tick=False):
        schedule_refresh()
        plan = StringIO()
        call_command("retention", "plan", stdout=plan)
    assert "bookkeeping (billing.invoice records, each on its own)" in plan.getvalue()
    assert "due now: 1 (counted from 2027-01-01 to 2027-01-01)" in plan.getvalue()

    assert GOES.astimezone(dt.UTC) == dt.datetime(2033, 12, 31, 23, 0, tzinfo=dt.UTC)
    run = _sweep_at(GOES)
    assert run is not None
    assert not Invoice.objects.filter(id=old.id).exists()
    assert not InvoiceLine.objects.filter(invoice_id=old.id).exists()
    assert not Claim.objects.filter(invoice_id=old.id).exists()
    # the register keeps that the claim went to the agency, without the invoice's number/amount
    register.refresh_from_db()
    assert old.number not in register.what and "EUR" not in register.what
    assert f"certificate {run.id}" in register.what
    assert register.recipient == "collection_agency" and register.approved_by
    handover = Handover.objects.get(pk=str(books["handover"]))
    assert handover.export_csv is None and handover.export_json is None
    # the newer invoice still holds the customer's books
    assert Invoice.objects.filter(id=new.id).exists()
    assert Payment.objects.filter(invoice_id=new.id).count() == 1
    assert _fields(person) == BOOKS

    assert certificate_verify(run)
    [deletion] = certificate_deletions(run)
    assert deletion["record"] == f"billing.invoice:{old.id}"
    assert deletion["subject"] == str(person) and deletion["outcome"] == "deleted"
    assert deletion["fields"] == ["billing.claim", "billing.invoice", "billing.invoiceline"]
    [rule] = run.summary["rules"]
    assert (rule["purpose"], rule["record"], rule["records"]) == (
        "bookkeeping",
        "billing.invoice",
        1,
    )
    assert rule["legal_reference"] == "art. 52 lid 4 AWR"
    assert run.summary["records"] == 1
    assert (
        AuditEntry.objects.filter(action="retention.record_delete", subject_id=person).count() == 1
    )

    # the newer invoice (2027) goes at 1 January 2035, and with it the last of the customer
    _sweep_at(dt.datetime(2035, 1, 1, tzinfo=AMS) - dt.timedelta(seconds=1))
    assert Invoice.objects.filter(id=new.id).exists()
    last = _sweep_at(dt.datetime(2035, 1, 1, tzinfo=AMS))
    assert last is not None and certificate_verify(last)
    assert not Invoice.objects.filter(subject_id=person).exists()
    assert not Payment.objects.filter(invoice_id=new.id).exists()
    assert _fields(person) is None
    outcomes = {(d.get("record", ""), d["outcome"]) for d in certificate_deletions(last)}
    assert outcomes == {(f"billing.invoice:{new.id}", "deleted"), ("", "erased")}
    # the register entry stays
    assert Disclosure.objects.filter(subject_id=person).count() == 1


def test_an_invoice_of_an_erased_customer_still_goes_on_time(books: dict[str, object]) -> None:
    person, old = books["person"], books["old"]
    assert isinstance(person, UUID) and isinstance(old, Invoice)
    Subject.objects.filter(id=person).update(
        erased_at=dt.datetime(2028, 1, 1, tzinfo=dt.UTC), wrapped_dek=None, values={}
    )
    _sweep_at(GOES - dt.timedelta(seconds=1))
    assert Invoice.objects.filter(id=old.id).exists()
    _sweep_at(GOES)
    assert not Invoice.objects.filter(id=old.id).exists()


def test_the_officer_tells_the_invoice_line_of_the_plan_from_the_customer_line(
    books: dict[str, object],
) -> None:
    from django.urls import reverse

    from waarborg.retention.planning import schedule_refresh
    from waarborg.retention.tests.test_console_certificates import _login

    schedule_refresh()
    page = _login("privacy_officer").get(reverse("console:retention"), HTTP_ACCEPT_LANGUAGE="nl")
    text = page.content.decode()
    assert "Wettelijke bewaarplicht administratie: facturen, elk op eigen termijn" in text
    assert text.count("Wettelijke bewaarplicht administratie</th>") == 1


@pytest.mark.django_db
def test_a_handover_loses_its_sealed_export_with_its_first_deleted_invoice(settings) -> None:
    """The export holds every claim of the batch: it goes when the first of them goes, not when
    the last does."""
    settings.WAARBORG_COLLECTION_AGENCY_RECIPIENT = age_pair()[0]
    with time_machine.travel(dt.datetime(2025, 12, 1, 10, tzinfo=AMS), tick=False):
        early = invoice(customer(email="vroeg@example.nl"), issued_on=dt.date(2025, 12, 1))
    with time_machine.travel(dt.datetime(2026, 3, 1, 10, tzinfo=AMS), tick=False):
        late = invoice(customer(email="laat@example.nl"), issued_on=dt.date(2026, 3, 1))
    with time_machine.travel(dt.datetime(2026, 4, 1, 10, tzinfo=AMS), tick=False):
        batch = handover_select(actor=staff("billing"))
        handover_approve(actor=staff("privacy_officer"), handover_id=batch.id)
    assert Claim.objects.filter(handover=batch).count() == 2
    _sweep_at(dt.datetime(2033, 1, 1, tzinfo=AMS))  # the 2025 invoice's period ends
    assert not Invoice.objects.filter(id=early.id).exists()
    assert Claim.objects.filter(handover=batch, invoice=late).exists()  # the other stays
    batch.refresh_from_db()
    assert batch.export_csv is None and batch.export_json is None
