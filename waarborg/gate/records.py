"""What the apps between the doors and the gate (billing, rights, consent, campaigns, retention)
need of the vault and the audit log, so that they, and the doors above them, reach both only
through the gate: an event in the log, the canonical form of an address, a person's product and
blind index, which people of a list or of the mailable ones a purpose may use, and one entry of
the log by its id."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from waarborg.audit.models import AuditEntry
from waarborg.audit.services import audit_entry, audit_record, audit_record_many
from waarborg.core.actors import Actor
from waarborg.gate.services import Refused, gate_subjects
from waarborg.vault.models import Subject
from waarborg.vault.validation import email_key


def gate_event(
    *,
    actor: Actor,
    action: str,
    purpose: str = "",
    subject_id: UUID | None = None,
    fields: Sequence[str] = (),
    decision: str = "",
    reason: str = "",
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
        reason=reason,
        detail=detail,
    )


def gate_event_numbered(
    *, actor: Actor, action: str, detail: dict[str, Any], subject_id: UUID | None = None
) -> int:
    """``gate_event`` that answers the entry's id, for a record that names the entry signing
    it (a deletion certificate)."""
    entry = audit_entry(actor=actor, action=action, subject_id=subject_id, detail=detail)
    audit_record_many([entry])
    return int(entry.id)


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


def gate_email_key(value: str) -> str | None:
    """An address in the vault's canonical form (what its blind index is made of), to count or
    compare addresses without storing them; None when it is no address."""
    return email_key(value)


def gate_email_index(subject_id: UUID) -> str | None:
    """A person's blind index of their address (no address itself), or None."""
    found = Subject.objects.filter(id=subject_id).values_list("email_index", flat=True)
    return found.first()


def gate_mailable(
    *, actor: Actor, purpose: str, leaving_out: QuerySet[Any]
) -> QuerySet[Any] | Refused:
    """The people with an address on file whose blind index is not in ``leaving_out`` (a
    values queryset of indexes), narrowed to those ``purpose`` may use now: one set-based read,
    audited once by the gate."""
    mailable = Subject.objects.filter(email_index__isnull=False).exclude(
        email_index__in=leaving_out
    )
    return gate_subjects(actor=actor, purpose=purpose, queryset=mailable)


def gate_logged(entry_id: int, action: str) -> dict[str, Any] | None:
    """The detail of the audit entry ``entry_id`` if it records ``action``, else None."""
    entry = AuditEntry.objects.filter(id=entry_id, action=action).first()
    return dict(entry.detail) if entry is not None else None
