"""Reading invoices, claims and the disclosure register. Invoice rows hold no name or address:
those are read through the gate (``invoice_customer``), audited. Their dates and amounts, and
what a disclosure gave away, are personal data too (category billing.invoice): a page or an
export of many rows passes the purpose gate and writes one audit entry naming the people on it
(``invoices_page``, ``disclosures_read``)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django.db.models import QuerySet
from django.utils import timezone

from waarborg.billing.models import Disclosure, Handover, Invoice
from waarborg.core.actors import Actor
from waarborg.gate.records import gate_event
from waarborg.gate.services import Allowed, Refused, audit_answer, gate_fields, gate_purpose_refusal
from waarborg.policy.rules import keeps_registers
from waarborg.policy.selectors import policy_current

CUSTOMER_FIELDS = ("name", "street", "house_number", "postcode", "city", "iban", "email")
PURPOSE = "invoicing"
# An audit entry names at most this many people; a larger read names how many and which rows.
NAMED = 1000
# What the invoice list shows of each invoice, and the register of each disclosure.
LIST_FIELDS = ["issued_on", "due_on", "total_cents", "settled_on"]
REGISTER_FIELDS = ["what", "subject_id"]


def invoice_get(*, number: str) -> Invoice | None:
    return Invoice.objects.prefetch_related("lines", "payments").filter(number=number).first()


def invoices_recent(*, limit: int = 200) -> list[Invoice]:
    return list(Invoice.objects.order_by("-issued_on", "-sequence")[:limit])


def _read_audit(
    actor: Actor, action: str, fields: list[str], people: list[UUID], detail: dict[str, object]
) -> None:
    """One entry for a read of many rows: the people on it (or how many, past NAMED)."""
    named = sorted({str(i) for i in people})
    detail = {**detail, "people": len(named)}
    if len(named) <= NAMED:
        detail["subjects"] = named
    gate_event(
        actor=actor,
        action=action,
        subject_id=people[0] if len(named) == 1 else None,
        purpose=PURPOSE,
        fields=fields,
        decision="allowed",
        detail=detail,
    )


def invoices_page(*, actor: Actor, limit: int = 200) -> list[Invoice] | Refused:
    """The latest invoices for the console's list, through the purpose gate (invoicing), with
    one audit entry for the page naming the people whose invoices it shows."""
    reason = gate_purpose_refusal(actor=actor, purpose=PURPOSE)
    if reason:
        audit_answer(actor=actor, action="billing.invoices_read", reason=reason, purpose=PURPOSE)
        return Refused(reason)
    rows = invoices_recent(limit=limit)
    detail: dict[str, object] = {"invoices": len(rows)}
    _read_audit(actor, "billing.invoices_read", LIST_FIELDS, [i.subject_id for i in rows], detail)
    return rows


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
    latest = Handover.objects.prefetch_related("claims__invoice").order_by("-selected_at")
    return list(latest[:limit])


def handover_get(*, handover_id: UUID) -> Handover | None:
    return Handover.objects.prefetch_related("claims__invoice").filter(id=handover_id).first()


def disclosures_all() -> QuerySet[Disclosure]:
    return Disclosure.objects.all()


def disclosures_read(
    *, actor: Actor, how: str, limit: int | None = None
) -> list[Disclosure] | Refused:
    """The disclosure register (newest first; ``limit`` rows, or all) for the role that keeps
    the registers, through the purpose gate (invoicing: what was handed over), with one audit
    entry for the page or export (``how``: "page", "csv") naming the people in it."""
    reason = gate_purpose_refusal(actor=actor, purpose=PURPOSE)
    if not reason and not keeps_registers(policy_current().policy, actor):
        reason = "role_not_permitted"  # only the role that keeps the registers reads them
    if reason:
        action = "billing.disclosures_read"
        detail = {"format": how}
        audit_answer(actor=actor, action=action, reason=reason, purpose=PURPOSE, detail=detail)
        return Refused(reason)
    return _disclosures_audited(actor, how, limit)


def disclosures_export_operator(*, actor: Actor) -> list[Disclosure]:
    """The whole register for ``waarborg disclosures`` (an operator at the server, outside the
    gate like every command), with its audit entry naming the people in it."""
    return _disclosures_audited(actor, "cli", None)


def _disclosures_audited(actor: Actor, how: str, limit: int | None) -> list[Disclosure]:
    rows = list(disclosures_all()[:limit] if limit is not None else disclosures_all())
    read: dict[str, object] = {"format": how, "disclosures": len(rows)}
    if rows:
        read["ids"] = [min(d.pk for d in rows), max(d.pk for d in rows)]
    people = [d.subject_id for d in rows]
    _read_audit(actor, "billing.disclosures_read", REGISTER_FIELDS, people, read)
    return rows
