"""Reads of vault bookkeeping that carry no personal values: ids by blind index, consent ledger."""

from __future__ import annotations

from uuid import UUID

from waarborg.vault.models import PurposeEvent, PurposeState, Subject
from waarborg.vault.services import email_index


def subject_ids_by_email(email: str, *, limit: int = 20) -> list[UUID]:
    """Subjects whose e-mail matches, found through the HMAC blind index only."""
    digest = email_index(email)
    return list(
        Subject.objects.filter(email_index=digest, erased_at__isnull=True)
        .order_by("created_at")
        .values_list("id", flat=True)[:limit]
    )


def subject_exists(subject_id: UUID) -> bool:
    return Subject.objects.filter(id=subject_id).exists()


def subject_standing(subject_id: UUID) -> str | None:
    """``"erased"``, ``"restricted"`` or ``""`` (neither); None for an unknown subject."""
    row = Subject.objects.filter(id=subject_id).values_list("erased_at", "restricted_at").first()
    if row is None:
        return None
    erased_at, restricted_at = row
    return "erased" if erased_at else "restricted" if restricted_at else ""


def purpose_events(subject_id: UUID, *, purposes: set[str]) -> list[PurposeEvent]:
    return list(PurposeEvent.objects.filter(subject_id=subject_id, purpose__in=purposes))


def purpose_states(subject_id: UUID, *, purposes: set[str]) -> list[PurposeState]:
    return list(PurposeState.objects.filter(subject_id=subject_id, purpose__in=purposes))
