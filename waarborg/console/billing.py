"""Console pages for invoices, the collection handover and the disclosure register.

Invoice rows carry no name or address; the detail page reads those through the gate (purpose
invoicing, audited). A page needs the invoicing purpose (roles billing and privacy officer);
approving a handover and reading the disclosure register need the role that keeps the registers.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waarborg.billing.handover import handover_approve, handover_select
from waarborg.billing.registers import disclosure_rows, disclosures_csv
from waarborg.billing.selectors import (
    disclosures_read,
    handover_get,
    handovers_recent,
    invoice_customer,
    invoice_get,
    invoice_is_overdue,
    invoices_overdue,
    invoices_page,
)
from waarborg.billing.vat import euros, vat_totals
from waarborg.console.rows import field_rows
from waarborg.console.views import staff_page
from waarborg.core.actors import Actor
from waarborg.core.errors import Refusal
from waarborg.core.i18n import current_language
from waarborg.gate.services import Refused
from waarborg.policy.rules import keeps_registers
from waarborg.policy.selectors import policy_current

PURPOSE = "invoicing"


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "console/forbidden.html", {"message": message}, status=403)


def _no_invoicing(request: HttpRequest, purposes: list[str]) -> HttpResponse | None:
    if PURPOSE in purposes:
        return None
    return _forbidden(request, _("Only the billing team and the privacy officer see invoices."))


def _keeps_registers(actor: Actor) -> bool:
    return keeps_registers(policy_current().policy, actor)


@require_GET
@staff_page
def invoices(request: HttpRequest, actor: Actor, purposes: list[str]) -> HttpResponse:
    refused = _no_invoicing(request, purposes)
    if refused:
        return refused
    found = invoices_page(actor=actor)  # audited: one entry naming the people on the page
    if isinstance(found, Refused):
        return _forbidden(request, str(found.message))
    rows = [
        {"invoice": i, "overdue": invoice_is_overdue(i), "total": euros(i.total_cents)}
        for i in found
    ]
    overdue = invoices_overdue().count()
    return render(request, "console/invoices.html", {"rows": rows, "overdue": overdue})


@require_GET
@staff_page
def invoice(request: HttpRequest, actor: Actor, purposes: list[str], number: str) -> HttpResponse:
    refused = _no_invoicing(request, purposes)
    if refused:
        return refused
    found = invoice_get(number=number[:16])
    if found is None:
        message = _("There is no invoice with this number.")
        return render(request, "console/forbidden.html", {"message": message}, status=404)
    customer = invoice_customer(actor=actor, invoice=found)
    lines = list(found.lines.all())
    totals = vat_totals(lines=[(line.net_cents, line.vat_rate) for line in lines])
    context: dict[str, Any] = {
        "invoice": found,
        "lines": [(line, euros(line.unit_cents), euros(line.net_cents)) for line in lines],
        "vat": [(r, euros(n), euros(v)) for r, (n, v) in totals.by_rate.items()],
        "amounts": {
            k: euros(getattr(found, f"{k}_cents"))
            for k in ("net", "vat", "total", "paid", "outstanding")
        },
        "payments": [(p, euros(p.amount_cents)) for p in found.payments.all()],
        "overdue": invoice_is_overdue(found),
        "customer": None if isinstance(customer, Refused) else field_rows(customer),
        "refusal": customer.message if isinstance(customer, Refused) else None,
    }
    return render(request, "console/invoice.html", context)


@require_http_methods(["GET", "POST"])
@staff_page
def handovers(request: HttpRequest, actor: Actor, purposes: list[str]) -> HttpResponse:
    refused = _no_invoicing(request, purposes)
    if refused:
        return refused
    error = ""
    if request.method == "POST":
        try:
            batch = handover_select(actor=actor)
            return redirect("console:handover", handover_id=batch.id)
        except Refusal as exc:
            error = str(exc.message)
    context = {"batches": handovers_recent(), "overdue": invoices_overdue().count(), "error": error}
    return render(request, "console/handovers.html", context, status=400 if error else 200)


@require_GET
@staff_page
def handover(
    request: HttpRequest, actor: Actor, purposes: list[str], handover_id: uuid.UUID
) -> HttpResponse:
    refused = _no_invoicing(request, purposes)
    if refused:
        return refused
    return _handover_page(request, actor, handover_id, error="")


def _handover_page(
    request: HttpRequest, actor: Actor, handover_id: uuid.UUID, *, error: str
) -> HttpResponse:
    batch = handover_get(handover_id=handover_id)
    if batch is None:
        message = _("There is no handover batch with this id.")
        return render(request, "console/forbidden.html", {"message": message}, status=404)
    claims = [(c, euros(c.amount_cents)) for c in batch.claims.all()]
    context = {
        "batch": batch,
        "claims": claims,
        "total": euros(sum(c.amount_cents for c in batch.claims.all())),
        "may_approve": _keeps_registers(actor) and batch.status == "awaiting",
        "error": error,
    }
    return render(request, "console/handover.html", context, status=400 if error else 200)


@require_POST
@staff_page
def handover_approval(
    request: HttpRequest, actor: Actor, purposes: list[str], handover_id: uuid.UUID
) -> HttpResponse:
    if not _keeps_registers(actor):
        return _forbidden(request, _("Only the privacy officer approves a handover."))
    try:
        handover_approve(actor=actor, handover_id=handover_id)
    except Refusal as exc:
        return _handover_page(request, actor, handover_id, error=str(exc.message))
    return redirect("console:handover", handover_id=handover_id)


@require_GET
@staff_page
def handover_export(
    request: HttpRequest, actor: Actor, purposes: list[str], handover_id: uuid.UUID, kind: str
) -> HttpResponse:
    """The encrypted export, for sending to the agency; only the agency's key opens it."""
    if not _keeps_registers(actor):
        return _forbidden(request, _("Only the privacy officer approves a handover."))
    batch = handover_get(handover_id=handover_id)
    data = getattr(batch, f"export_{kind}", None) if batch and kind in ("csv", "json") else None
    if batch is None or data is None:
        message = _("There is no handover batch with this id.")
        return render(request, "console/forbidden.html", {"message": message}, status=404)
    response = HttpResponse(bytes(data), content_type="application/octet-stream")
    name = f"handover-{batch.id}.{kind}.age"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@staff_page
def disclosures(request: HttpRequest, actor: Actor, purposes: list[str]) -> HttpResponse:
    if not _keeps_registers(actor):
        message = _("Only the privacy officer keeps the register of disclosures.")
        return _forbidden(request, message)
    export = request.GET.get("format") == "csv"
    # Audited: one entry for the page or the export, naming the people in it.
    found = disclosures_read(
        actor=actor, how="csv" if export else "page", limit=None if export else 500
    )
    if isinstance(found, Refused):
        return _forbidden(request, str(found.message))
    if export:
        response = HttpResponse(disclosures_csv(found), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="disclosures.csv"'
        return response
    rows = disclosure_rows(found, language=current_language())
    return render(request, "console/disclosures.html", {"rows": rows})
