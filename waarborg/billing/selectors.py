"""Reading invoices, claims and the disclosure register. Invoice rows hold no name or address:
those are read through the gate (``invoice_customer``), audited."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django.db.models import QuerySet
from django.utils import timezone

from waarborg.billing.models import Disclosure, Handover, Invoice
from waarborg.core.actors import Actor
from waarborg.gate.services import Allowed, Refused, gate_fields

CUSTOMER_FIELDS = ("name", "street", "house_number", "postcode", "city", "iban", "email")


def invoice_get(*, number: str) -> Invoice | None:
    return Invoice.objects.prefetch_related("lines", "payments").filter(number=number).first()


def invoices_recent(*, limit: int = 200) -> list[Invoice]:
    return list(Invoice.objects.order_by("-issued_on", "-sequence")[:limit])


def invoices_overdue(*, today: date | None = None) -> QuerySet[Invoice]:
    """Open invoices whose due date has passed (the due date itself is still in time)."""
    day = today or timezone.localdate()
    return Invoice.objects.filter(settled_on__isnull=True, due_on__lt=day).order_by("due_on")


def invoice_is_overdue(invoice: Invoice, *, today: date | None = None) -> bool:
    return invoice.settled_on is None and invoice.due_on < (today or timezone.localdate())


def invoice_customer(*, actor: Actor, invoice: Invoice) -> dict[str, str] | Refused:
    """The customer's name, address and bank account for this invoice, through the gate."""
    result = gate_fields(actor=actor, purpose="invoicing", subject=invoice.subject_id)
    if isinstance(result, Allowed):
        return {k: result.fields[k] for k in CUSTOMER_FIELDS if k in result.fields}
    return result


def handovers_recent(*, limit: int = 50) -> list[Handover]:
    return list(Handover.objects.prefetch_related("claims__invoice").order_by("-selected_at"))[
        :limit
    ]


def handover_get(*, handover_id: UUID) -> Handover | None:
    return Handover.objects.prefetch_related("claims__invoice").filter(id=handover_id).first()


def disclosures_all() -> QuerySet[Disclosure]:
    return Disclosure.objects.all()
