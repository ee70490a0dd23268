"""``/api/v1/invoices``: a product back end invoices a customer of a paid product, books a
payment, and reads an invoice. Thin: parse, call one billing service, answer. A token needs the
``invoicing`` purpose."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, StrictInt

from waarborg.api import schemas as s
from waarborg.api.auth import request_actor
from waarborg.billing.errors import refusal
from waarborg.billing.models import Invoice
from waarborg.billing.selectors import invoice_get, invoice_is_overdue
from waarborg.billing.services import Line, invoice_create, invoicing_scope_check, payment_register
from waarborg.billing.vat import vat_totals

router = Router(tags=["invoices"])
ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 413, 422, 429), s.Error)


class LineIn(s.In):
    description: s.Text = Field(min_length=1, max_length=200)
    quantity: StrictInt = Field(ge=1, le=1_000_000)
    unit_cents: StrictInt = Field(ge=1, le=100_000_000_00)
    vat_rate: StrictInt


class InvoiceIn(s.In):
    subject: UUID
    lines: list[LineIn] = Field(min_length=1, max_length=100)
    issued_on: date | None = None
    term_days: StrictInt = Field(default=14, ge=0, le=365)


class PaymentIn(s.In):
    amount_cents: StrictInt = Field(ge=1, le=100_000_000_00)
    paid_on: date
    reference: s.Text = Field(default="", max_length=64)


class InvoiceOut(Schema):
    number: str
    subject: UUID
    issued_on: date
    due_on: date
    lines: list[dict[str, Any]]
    vat: list[dict[str, int]]
    net_cents: int
    vat_cents: int
    total_cents: int
    paid_cents: int
    outstanding_cents: int
    settled_on: date | None
    overdue: bool


def _body(invoice: Invoice) -> dict[str, Any]:
    lines = list(invoice.lines.all())
    totals = vat_totals(lines=[(line.net_cents, line.vat_rate) for line in lines])
    return {
        "number": invoice.number,
        "subject": invoice.subject_id,
        "issued_on": invoice.issued_on,
        "due_on": invoice.due_on,
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_cents": line.unit_cents,
                "vat_rate": line.vat_rate,
                "net_cents": line.net_cents,
            }
            for line in lines
        ],
        "vat": [
            {"rate": r, "net_cents": n, "vat_cents": v} for r, (n, v) in totals.by_rate.items()
        ],
        "net_cents": invoice.net_cents,
        "vat_cents": invoice.vat_cents,
        "total_cents": invoice.total_cents,
        "paid_cents": invoice.paid_cents,
        "outstanding_cents": invoice.outstanding_cents,
        "settled_on": invoice.settled_on,
        "overdue": invoice_is_overdue(invoice),
    }


def _read(number: str) -> dict[str, Any]:
    invoice = invoice_get(number=number[:16])
    if invoice is None:
        raise refusal("invoice_not_found")
    return _body(invoice)


@router.post("/invoices", response={201: InvoiceOut, **ERRORS})
def invoice_post(request: HttpRequest, payload: InvoiceIn) -> Status[dict[str, Any]]:
    """Invoice a customer of a paid product; the number is given here (2026-000001, ...)."""
    lines = [Line(**line.model_dump()) for line in payload.lines]
    invoice = invoice_create(
        actor=request_actor(request),
        subject_id=payload.subject,
        lines=lines,
        issued_on=payload.issued_on,
        term_days=payload.term_days,
    )
    return Status(201, _read(invoice.number))


@router.get("/invoices/{number}", response={200: InvoiceOut, **ERRORS})
def invoice_read(request: HttpRequest, number: str) -> dict[str, Any]:
    """An invoice: lines, VAT per rate, payments booked, what is still open, whether overdue."""
    invoicing_scope_check(actor=request_actor(request))
    return _read(number)


@router.post("/invoices/{number}/payments", response={201: InvoiceOut, **ERRORS})
def payment_post(request: HttpRequest, number: str, payload: PaymentIn) -> Status[dict[str, Any]]:
    payment_register(
        actor=request_actor(request),
        number=number[:16],
        amount_cents=payload.amount_cents,
        paid_on=payload.paid_on,
        reference=payload.reference,
    )
    return Status(201, _read(number))
