"""What an app that keeps its own records about people (billing) needs of the vault and the
audit log, so that it, and the doors above it, reach both only through the gate: an event in the
log, the product a person uses, and which people of a list a purpose may use."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from waarborg.audit.services import audit_record
from waarborg.core.actors import Actor
from waarborg.gate.services import Refused, gate_subjects
from waarborg.vault.models import Subject


def gate_event(
    *,
    actor: Actor,
    action: str,
    purpose: str = "",
    subject_id: UUID | None = None,
    fields: Sequence[str] = (),
    decision: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """One entry in the audit log for something done with a record (an invoice made, a batch
    approved, a page of them read), in the caller's transaction."""
    audit_record(
        actor=actor,
        action=action,
        subject_id=subject_id,
        purpose=purpose,
        fields=fields,
        decision=decision,
        detail=detail,
    )


def gate_product(subject_id: UUID) -> str | None:
    """The product a person uses (not personal data in itself), or None when unknown."""
    return Subject.objects.filter(id=subject_id).values_list("product", flat=True).first()


def gate_usable(*, actor: Actor, purpose: str, ids: Collection[UUID]) -> set[UUID] | Refused:
    """Those of ``ids`` the purpose may use now (one set-based read, audited by the gate)."""
    allowed = gate_subjects(
        actor=actor, purpose=purpose, queryset=Subject.objects.filter(id__in=list(ids))
    )
    if isinstance(allowed, Refused):
        return allowed
    return set(allowed.values_list("id", flat=True))
