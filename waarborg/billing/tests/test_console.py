"""The console's billing pages: invoices for billing and the privacy officer, customer data read
through the gate and audited, approval and the disclosure register for the privacy officer only."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from waarborg.access.services import staff_create
from waarborg.audit.models import AuditEntry
from waarborg.billing.models import Disclosure
from waarborg.billing.tests.support import age_pair, customer, invoice
from waarborg.console.tests.test_console import _second_factor_given
from waarborg.core.actors import Actor

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password-42"


def _login(role: str, lang: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    staff_create(actor=Actor.job("test"), username=role, password=PASSWORD, roles=[role])
    assert client.login(username=role, password=PASSWORD)
    if role == "privacy_officer":
        _second_factor_given(client, User.objects.get(username=role))
    return client


def test_billing_sees_invoices_and_the_customer_through_the_gate():
    made = invoice(customer(), issued_on=date(2026, 3, 1))
    client = _login("billing")
    listing = client.get("/console/invoices")
    assert listing.status_code == 200
    assert made.number in listing.content.decode()
    page = client.get(f"/console/invoices/{made.number}").content.decode()
    assert "Karel Klant" in page and "NL91ABNA0417164300" in page and "24.14" in page
    read = AuditEntry.objects.filter(action="gate.read", actor="staff:billing").get()
    assert (read.purpose, read.subject_id) == ("invoicing", made.subject_id)


@pytest.mark.parametrize("role", ["support", "marketing", "security"])
def test_other_roles_see_no_invoices_and_no_register(role):
    made = invoice(customer(), issued_on=date(2026, 3, 1))
    client = _login(role, lang="nl")
    for path in ("/console/invoices", f"/console/invoices/{made.number}", "/console/handovers"):
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert "Alleen het facturatieteam" in answer.content.decode()
    assert client.get("/console/disclosures").status_code == 403
    assert not AuditEntry.objects.filter(action="gate.read").exists()


def test_billing_selects_a_batch_but_only_the_privacy_officer_approves(settings):
    settings.WAARBORG_COLLECTION_AGENCY_RECIPIENT = age_pair()[0]
    invoice(customer(), issued_on=date(2026, 3, 1))
    clerk = _login("billing")
    with time_machine.travel("2026-04-01 10:00 +02:00", tick=False):
        made = clerk.post("/console/handovers")
    assert made.status_code == 302
    page = made["Location"]
    assert "Awaiting approval" in clerk.get(page).content.decode()
    assert clerk.post(page + "/approve").status_code == 403
    assert clerk.get("/console/disclosures").status_code == 403
    officer = _login("privacy_officer")
    assert "Approve and export" in officer.get(page).content.decode()
    assert officer.post(page + "/approve").status_code == 302
    assert Disclosure.objects.count() == 1
    register = officer.get("/console/disclosures")
    assert register.status_code == 200
    assert "2026-000001" in register.content.decode()
    exported = officer.get("/console/disclosures?format=csv")
    assert exported["Content-Type"] == "text/csv"
    assert b"collection_agency" in exported.content
    download = officer.get(page + "/export.csv.age")
    assert download.content.startswith(b"age-encryption.org/v1")


def test_selecting_with_nothing_overdue_says_so_in_words():
    clerk = _login("billing", lang="nl")
    answer = clerk.post("/console/handovers")
    assert answer.status_code == 400
    assert "Er zijn geen achterstallige vorderingen" in answer.content.decode()


def test_the_invoice_list_is_one_audited_read_naming_the_people_on_it():
    first, second = customer(), customer(email="tweede.klant@example.nl")
    invoice(first, issued_on=date(2026, 3, 1))
    invoice(second, issued_on=date(2026, 3, 2))
    client = _login("billing")
    assert client.get("/console/invoices").status_code == 200
    read = AuditEntry.objects.get(action="billing.invoices_read")
    assert (read.actor, read.purpose, read.decision) == ("staff:billing", "invoicing", "allowed")
    assert sorted(read.detail["subjects"]) == sorted([str(first), str(second)])
    assert read.detail["invoices"] == 2
    assert "total_cents" in read.fields


def test_the_disclosure_register_page_and_its_export_are_each_an_audited_read(settings):
    settings.WAARBORG_COLLECTION_AGENCY_RECIPIENT = age_pair()[0]
    made = invoice(customer(), issued_on=date(2026, 3, 1))
    clerk = _login("billing")
    with time_machine.travel("2026-04-01 10:00 +02:00", tick=False):
        page = clerk.post("/console/handovers")["Location"]
    officer = _login("privacy_officer")
    assert officer.post(page + "/approve").status_code == 302
    assert officer.get("/console/disclosures").status_code == 200
    assert officer.get("/console/disclosures?format=csv").status_code == 200
    reads = AuditEntry.objects.filter(action="billing.disclosures_read").order_by("id")
    assert [r.detail["format"] for r in reads] == ["page", "csv"]
    for read in reads:
        assert (read.actor, read.purpose) == ("staff:privacy_officer", "invoicing")
        assert read.subject_id == made.subject_id
        assert read.detail["subjects"] == [str(made.subject_id)]
        assert "what" in read.fields
    assert not AuditEntry.objects.filter(action="billing.disclosures_read", actor="staff:billing")
