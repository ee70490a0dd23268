"""Handing unpaid claims to the collection agency (C5, C15).

Billing selects the overdue claims into a batch; nothing leaves until a privacy officer approves
that batch. Approval reads each person through the gate (purpose invoicing, audited), writes an
export with only name, bank account, e-mail and the claim (CSV and JSON), encrypted to the
agency's age public key, a row per person in the disclosure register, and, after commit, a
letter telling the person. Without the agency's key nothing is approved (fail closed)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any
from uuid import UUID

import pyrage  # type: ignore[import-untyped]
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from waarborg.billing.errors import refusal
from waarborg.billing.models import Claim, Disclosure, Handover
from waarborg.billing.notices import notices_send_quietly
from waarborg.billing.selectors import invoices_overdue
from waarborg.billing.services import PURPOSE, invoicing_scope_check
from waarborg.billing.vat import euros
from waarborg.core.actors import Actor
from waarborg.gate.records import gate_event, gate_usable
from waarborg.gate.services import Allowed, Refused, gate_fields
from waarborg.policy.rules import keeps_registers
from waarborg.policy.selectors import policy_current

RECIPIENT = "collection_agency"
# The export's columns: the four things the agency receives, the claim spelled out.
COLUMNS = ("name", "iban", "email", "invoice", "amount_eur", "due_on")
CATEGORIES = ["user.name", "user.financial.bank_account", "user.contact.email", "billing.invoice"]


def handover_select(*, actor: Actor, today: date | None = None) -> Handover:
    """Put every overdue claim not handed over before into a new batch awaiting approval. The
    gate narrows the people first: an erased or restricted person's claim is not selected."""
    invoicing_scope_check(actor=actor)
    with transaction.atomic():
        overdue = list(invoices_overdue(today=today).filter(claim__isnull=True))
        ids = gate_usable(actor=actor, purpose=PURPOSE, ids={i.subject_id for i in overdue})
        if isinstance(ids, Refused):
            raise refusal(ids.reason, ids.message)
        claims = [i for i in overdue if i.subject_id in ids]
        if not claims:
            raise refusal("nothing_overdue")
        batch = Handover.objects.create(selected_by=actor.label, selected_at=timezone.now())
        Claim.objects.bulk_create(
            Claim(handover=batch, invoice=i, amount_cents=i.outstanding_cents) for i in claims
        )
        gate_event(
            actor=actor,
            action="billing.handover_select",
            purpose=PURPOSE,
            detail={"handover": str(batch.id), "claims": len(claims)},
        )
    return batch


def agency_recipient() -> Any:
    """The agency's age recipient from the setting; a refusal when it is missing or invalid."""
    key = str(getattr(settings, "WAARBORG_COLLECTION_AGENCY_RECIPIENT", "") or "").strip()
    if not key:
        raise refusal("agency_key_missing")
    try:
        return pyrage.x25519.Recipient.from_str(key)
    except pyrage.RecipientError as exc:
        raise refusal("agency_key_invalid") from exc


def handover_approve(*, actor: Actor, handover_id: UUID) -> Handover:
    """Approve a batch: export, register, and tell each person (once, after commit)."""
    if not keeps_registers(policy_current().policy, actor):
        raise refusal("registers_only")
    recipient = agency_recipient()
    with transaction.atomic():
        batch = Handover.objects.select_for_update().filter(id=handover_id).first()
        if batch is None:
            raise refusal("handover_not_found")
        if batch.status != Handover.Status.AWAITING:
            raise refusal("handover_decided")
        rows = _claims_read(actor, batch)
        batch.export_csv = pyrage.encrypt(export_csv(rows), [recipient])
        batch.export_json = pyrage.encrypt(export_json(rows), [recipient])
        batch.status = Handover.Status.APPROVED
        batch.approved_by = actor.label
        batch.approved_at = timezone.now()
        batch.save()
        ids = _register(batch, rows)
        gate_event(
            actor=actor,
            action="billing.handover_approve",
            purpose=PURPOSE,
            detail={"handover": str(batch.id), "disclosed": len(rows), "recipient": RECIPIENT},
        )
        transaction.on_commit(lambda: notices_send_quietly(disclosure_ids=ids))
    return batch


def _claims_read(actor: Actor, batch: Handover) -> list[dict[str, Any]]:
    """Each claim's person through the gate; a claim the gate now refuses stays behind."""
    rows = []
    for claim in batch.claims.select_related("invoice").order_by("invoice__number"):
        invoice = claim.invoice
        found = gate_fields(actor=actor, purpose=PURPOSE, subject=invoice.subject_id)
        if not isinstance(found, Allowed):
            claim.refused = found.reason
            claim.save(update_fields=["refused"])
            continue
        rows.append(
            {
                "subject_id": invoice.subject_id,
                "name": found.fields.get("name", ""),
                "iban": found.fields.get("iban", ""),
                "email": found.fields.get("email", ""),
                "invoice": invoice.number,
                "amount_eur": euros(claim.amount_cents),
                "due_on": invoice.due_on.isoformat(),
            }
        )
    return rows


def export_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def export_json(rows: list[dict[str, Any]]) -> bytes:
    claims = [{c: row[c] for c in COLUMNS} for row in rows]
    return json.dumps({"claims": claims}, ensure_ascii=False, indent=2).encode()


def _register(batch: Handover, rows: list[dict[str, Any]]) -> list[int]:
    assert batch.approved_at is not None  # set by the approval just before
    basis = policy_current().policy.purposes[PURPOSE].basis
    made = Disclosure.objects.bulk_create(
        Disclosure(
            subject_id=row["subject_id"],
            recipient=RECIPIENT,
            purpose=PURPOSE,
            ground=basis,
            categories=CATEGORIES,
            what=f"{row['invoice']}: EUR {row['amount_eur']}",
            handover=batch,
            approved_by=batch.approved_by,
            disclosed_at=batch.approved_at,
        )
        for row in rows
    )
    return [d.pk for d in made]
