"""Invoices: VAT in cents, payments, overdue detection, the gate's product rule, and the API's
answers in words."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from waarborg.audit.models import AuditEntry
from waarborg.billing.selectors import invoice_is_overdue, invoices_overdue
from waarborg.billing.services import Line, invoice_create, payment_register
from waarborg.billing.tests.support import BACKEND, customer, invoice
from waarborg.billing.vat import euros, vat_totals
from waarborg.conftest import nl
from waarborg.core.errors import Refusal

pytestmark = pytest.mark.django_db


def test_vat_is_summed_per_rate_in_whole_cents():
    totals = vat_totals(lines=[(1995, 21), (3 * 250, 21), (1500, 9), (999, 0)])
    assert totals.by_rate == {0: (999, 0), 9: (1500, 135), 21: (2745, 576)}
    assert (totals.net_cents, totals.vat_cents, totals.total_cents) == (5244, 711, 5955)
    assert vat_totals(lines=[(50, 21)]).vat_cents == 11  # 10.5 cents rounds half up
    assert euros(5955) == "59.55"


def test_an_invoice_holds_its_lines_and_totals():
    lines = [Line("Aplanner Pro", 1, 1995, 21), Line("E-book", 2, 750, 9)]
    made = invoice_create(
        actor=BACKEND, subject_id=customer(), lines=lines, issued_on=date(2026, 3, 1)
    )
    assert (made.net_cents, made.vat_cents, made.total_cents) == (3495, 554, 4049)
    assert made.due_on == date(2026, 3, 15)
    assert [line.net_cents for line in made.lines.all()] == [1995, 1500]
    assert AuditEntry.objects.filter(action="billing.invoice_create").count() == 1


def test_a_free_products_customer_cannot_be_invoiced():
    person = customer(paid=False, email="gratis@example.nl")
    with pytest.raises(Refusal) as refused:
        invoice(person, issued_on=date(2026, 3, 1))
    assert refused.value.code == "product_not_covered"
    assert (
        nl(refused.value.message) == "Dit doeleinde geldt niet voor het product van deze persoon."
    )


def test_a_vat_rate_that_is_not_dutch_is_refused():
    with pytest.raises(Refusal) as refused:
        invoice_create(actor=BACKEND, subject_id=customer(), lines=[Line("x", 1, 100, 19)])
    assert refused.value.code == "vat_rate_unknown"


def test_payments_settle_an_invoice_and_an_overpayment_is_refused():
    made = invoice(customer(), issued_on=date(2026, 3, 1))  # 24.14 incl. VAT
    payment_register(actor=BACKEND, number=made.number, amount_cents=1000, paid_on=date(2026, 3, 5))
    with pytest.raises(Refusal) as refused:
        payment_register(
            actor=BACKEND, number=made.number, amount_cents=9999, paid_on=date(2026, 3, 6)
        )
    assert refused.value.code == "overpayment"
    payment_register(actor=BACKEND, number=made.number, amount_cents=1414, paid_on=date(2026, 3, 7))
    made.refresh_from_db()
    assert made.settled_on == date(2026, 3, 7)
    assert made.outstanding_cents == 0


def test_an_invoice_is_overdue_the_day_after_its_due_date_until_paid():
    made = invoice(customer(), issued_on=date(2026, 3, 1))  # due 15 March
    with time_machine.travel("2026-03-15 12:00 +01:00", tick=False):
        assert not invoice_is_overdue(made)
        assert list(invoices_overdue()) == []
    with time_machine.travel("2026-03-16 09:00 +01:00", tick=False):
        assert invoice_is_overdue(made)
        assert list(invoices_overdue()) == [made]
        payment_register(
            actor=BACKEND, number=made.number, amount_cents=2414, paid_on=date(2026, 3, 16)
        )
        assert list(invoices_overdue()) == []


# The API ------------------------------------------------------------------------------------


def _body(subject, **extra):
    line = {"description": "Aplanner Pro", "quantity": 1, "unit_cents": 1995, "vat_rate": 21}
    return {"subject": str(subject), "lines": [line], "issued_on": "2026-03-01", **extra}


def test_the_api_creates_reads_and_pays_an_invoice(api_for):
    client = api_for("invoicing")
    made = client.post("/api/v1/invoices", _body(customer()))
    assert made.status_code == 201, made.json()
    number = made.json()["number"]
    assert made.json()["total_cents"] == 2414
    assert made.json()["vat"] == [{"rate": 21, "net_cents": 1995, "vat_cents": 419}]
    paid = client.post(
        f"/api/v1/invoices/{number}/payments", {"amount_cents": 2414, "paid_on": "2026-03-04"}
    )
    assert paid.status_code == 201
    assert paid.json()["settled_on"] == "2026-03-04"
    assert client.get(f"/api/v1/invoices/{number}").json()["outstanding_cents"] == 0


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("nl", "Dit doeleinde geldt niet voor het product van deze persoon."),
        ("en", "This purpose does not apply to this person's product."),
    ],
)
def test_the_api_refuses_a_free_customer_in_words(api_for, lang, words):
    client = api_for("invoicing", lang=lang)
    answer = client.post("/api/v1/invoices", _body(customer(paid=False, email="g@example.nl")))
    assert answer.status_code == 403
    assert answer.json() == {"code": "product_not_covered", "message": words}


def test_the_api_refuses_a_token_without_invoicing_and_an_unknown_number(api_for):
    other = api_for("administration", lang="en")
    answer = other.post("/api/v1/invoices", _body(customer()))
    assert answer.status_code == 403
    assert answer.json()["code"] == "scope_not_permitted"
    missing = api_for("invoicing", lang="nl").get("/api/v1/invoices/2026-999999")
    assert missing.status_code == 404
    assert missing.json()["message"] == "Er is geen factuur met dit nummer."


def test_the_api_refuses_bad_amounts_in_words(api_for):
    client = api_for("invoicing", lang="en")
    body = _body(customer())
    body["lines"][0]["vat_rate"] = 19
    answer = client.post("/api/v1/invoices", body)
    assert answer.status_code == 422
    assert answer.json()["message"] == "The VAT rate must be 21, 9 or 0 percent."
    body["lines"][0]["unit_cents"] = 19.5
    assert client.post("/api/v1/invoices", body).status_code == 422
