"""Reading and verifying the audit log."""

from __future__ import annotations

from uuid import UUID

from waarborg.audit.models import AuditEntry
from waarborg.audit.verify import Verification, audit_verify

__all__ = ["Verification", "audit_about", "audit_recent", "audit_verify"]


def audit_recent(*, actor_label: str, limit: int = 20) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(actor=actor_label).order_by("-id")[:limit])


def audit_about(*, subject_id: UUID, limit: int = 50) -> list[AuditEntry]:
    """Entries about one subject, newest first (index on ``subject_id``)."""
    return list(AuditEntry.objects.filter(subject_id=subject_id).order_by("-id")[:limit])


def audit_about_request(
    *, reference: str, subject_id: UUID | None, limit: int = 200
) -> list[AuditEntry]:
    """Entries that name request ``reference`` in their detail, oldest first. The rights
    services write the request's subject on each, so for a requester on file the subject's
    index narrows the search to that person's entries."""
    entries = AuditEntry.objects.filter(detail__request=reference)
    if subject_id is not None:
        entries = entries.filter(subject_id=subject_id)
    return list(entries.order_by("id")[:limit])
