"""Invoices and payments: written here, each in one transaction with its audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from waarborg.billing.errors import refusal
from waarborg.billing.models import Invoice, InvoiceLine, Payment
from waarborg.billing.numbers import invoice_number_format, invoice_number_take
from waarborg.billing.vat import RATES, vat_totals
from waarborg.core.actors import Actor
from waarborg.core.errors import Refusal
from waarborg.gate.records import gate_event, gate_product
from waarborg.gate.services import gate_check
from waarborg.policy.rules import REASONS, actor_refusal
from waarborg.policy.selectors import policy_current

PURPOSE = "invoicing"
PAYMENT_TERM_DAYS = 14


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_cents: int
    vat_rate: int


def invoicing_scope_check(*, actor: Actor) -> None:
    """Refuse an actor whose role or token does not carry the invoicing purpose."""
    reason = actor_refusal(policy_current().policy, actor, PURPOSE)
    if reason:
        raise Refusal(reason, REASONS[reason])


def _lines_clean(lines: list[Line]) -> None:
    if not lines:
        raise refusal("no_lines")
    for line in lines:
        if line.vat_rate not in RATES:
            raise refusal("vat_rate_unknown")
        if line.quantity < 1 or line.unit_cents < 1:
            raise refusal("amount_invalid")


def _date_check(day: date, *, earliest: date | None = None) -> None:
    """An invoice is dated within a year of today and a payment not before its invoice, nor in
    the future: a stray year would open a new numbering series (or overflow the due date)."""
    today = timezone.localdate()
    low = max(earliest or date.min, today - timedelta(days=366))
    if not low <= day <= today + timedelta(days=366):
        raise refusal("date_out_of_range")


def invoice_create(
    *,
    actor: Actor,
    subject_id: UUID,
    lines: list[Line],
    issued_on: date | None = None,
    term_days: int = PAYMENT_TERM_DAYS,
) -> Invoice:
    """Invoice a customer of a paid product. The gate decides first (audited): a free product's
    customer, an erased or restricted person cannot be invoiced."""
    invoicing_scope_check(actor=actor)
    _lines_clean(lines)
    decision = gate_check(actor=actor, purpose=PURPOSE, subject=subject_id)
    if not decision.allowed:
        raise Refusal(decision.reason, decision.message or REASONS.get(decision.reason, ""))
    issued = issued_on or timezone.localdate()
    _date_check(issued)
    product = gate_product(subject_id) or ""
    nets = [(line.quantity * line.unit_cents, line.vat_rate) for line in lines]
    totals = vat_totals(lines=nets)
    with transaction.atomic():
        sequence = invoice_number_take(year=issued.year)
        invoice = Invoice.objects.create(
            number=invoice_number_format(year=issued.year, sequence=sequence),
            year=issued.year,
            sequence=sequence,
            subject_id=subject_id,
            product=product,
            issued_on=issued,
            due_on=issued + timedelta(days=term_days),
            net_cents=totals.net_cents,
            vat_cents=totals.vat_cents,
            total_cents=totals.total_cents,
            created_at=timezone.now(),
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=invoice,
                position=i,
                description=line.description,
                quantity=line.quantity,
                unit_cents=line.unit_cents,
                vat_rate=line.vat_rate,
                net_cents=net,
            )
            for i, (line, (net, _)) in enumerate(zip(lines, nets, strict=True), start=1)
        )
        gate_event(
            actor=actor,
            action="billing.invoice_create",
            subject_id=subject_id,
            purpose=PURPOSE,
            detail={"invoice": invoice.number, "total_cents": invoice.total_cents},
        )
    return invoice


def payment_register(
    *, actor: Actor, number: str, amount_cents: int, paid_on: date, reference: str = ""
) -> Payment:
    """Book a payment on an open invoice; the invoice is settled when nothing is left open."""
    invoicing_scope_check(actor=actor)
    if amount_cents < 1:
        raise refusal("amount_invalid")
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().filter(number=number).first()
        if invoice is None:
            raise refusal("invoice_not_found")
        if invoice.settled_on is not None:
            raise refusal("already_settled")
        if amount_cents > invoice.outstanding_cents:
            raise refusal("overpayment")
        _date_check(paid_on, earliest=invoice.issued_on)
        payment = Payment.objects.create(
            invoice=invoice,
            amount_cents=amount_cents,
            paid_on=paid_on,
            reference=reference,
            created_at=timezone.now(),
        )
        invoice.paid_cents += amount_cents
        if invoice.outstanding_cents == 0:
            invoice.settled_on = paid_on
        invoice.save(update_fields=["paid_cents", "settled_on"])
        gate_event(
            actor=actor,
            action="billing.payment_register",
            subject_id=invoice.subject_id,
            purpose=PURPOSE,
            detail={"invoice": invoice.number, "amount_cents": amount_cents},
        )
    return payment
