"""Reading and verifying the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from waarborg.audit.models import AuditEntry, AuditSeal
from waarborg.audit.services import GENESIS, entry_hash


@dataclass(frozen=True)
class Verification:
    checked: int
    unsealed: int
    broken_at: int | None  # entry id of the first entry that does not match
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None and not self.problem


def audit_verify(*, chunk: int = 5000) -> Verification:
    """Walk the chain from the start, recomputing every hash; stop at the first mismatch."""
    prev = GENESIS
    expected = 1
    checked = 0
    last = 0
    while True:
        seals = list(
            AuditSeal.objects.filter(position__gt=last)
            .select_related("entry")
            .order_by("position")[:chunk]
        )
        if not seals:
            break
        for seal in seals:
            if seal.position != expected:
                return Verification(checked, 0, seal.entry_id, f"position {expected} is missing")
            if seal.prev_hash != prev or entry_hash(prev, seal.position, seal.entry) != seal.hash:
                return Verification(checked, 0, seal.entry_id, "hash does not match")
            prev = seal.hash
            expected += 1
            checked += 1
            last = seal.position
    unsealed = AuditEntry.objects.filter(seal__isnull=True).count()
    return Verification(checked, unsealed, None)


def audit_recent(*, actor_label: str, limit: int = 20) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(actor=actor_label).order_by("-id")[:limit])


def audit_about(*, subject_id: UUID, limit: int = 50) -> list[AuditEntry]:
    """Entries about one subject, newest first (index on ``subject_id``)."""
    return list(AuditEntry.objects.filter(subject_id=subject_id).order_by("-id")[:limit])
