"""Reads of the vault that carry no personal values: ids found by blind index, a subject's standing,
the consent ledger, acceptance of the statement. Values are read only through the gate."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict
from uuid import UUID

from django.db.models import OuterRef, QuerySet, Subquery

from waarborg.policy.selectors import policy_current
from waarborg.vault import keys
from waarborg.vault.index import email_index, phone_index
from waarborg.vault.models import Acceptance, PurposeEvent, Subject

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class LastAccepted(TypedDict):
    accepted_digest: str


def acceptances_of(*, subject_id: UUID) -> list[Acceptance]:
    """C1: every version of the statement this subject accepted, newest first, with when and how."""
    return list(Acceptance.objects.filter(subject_id=subject_id).order_by("-accepted_at", "-id"))


def subjects_with_outdated_acceptance(
    *, digest: str | None = None
) -> QuerySet[WithAnnotations[Subject, LastAccepted]]:
    """Subjects whose latest acceptance is of another version than ``digest`` (default: the
    policy in force), so they must be asked again (C1). Each carries ``accepted_digest``, the
    version they last accepted. Subjects who never accepted and erased subjects are left out.
    One query, whatever the number of subjects (index ``vault_accept_latest_idx``)."""
    current = digest or policy_current().digest
    latest = Acceptance.objects.filter(subject=OuterRef("pk")).order_by("-accepted_at", "-id")
    return (
        Subject.objects.filter(erased_at__isnull=True)
        .annotate(accepted_digest=Subquery(latest.values("policy_digest")[:1]))
        .filter(accepted_digest__isnull=False)
        .exclude(accepted_digest=current)
    )


def subject_ids_by_email(email: str, *, limit: int = 20) -> list[UUID]:
    """Subjects whose e-mail matches, found through the HMAC blind index only."""
    return _by_index(email_index=email_index(email), limit=limit)


def subject_ids_by_phone(e164: str, *, limit: int = 20) -> list[UUID]:
    """Subjects whose phone number (E.164) matches, through its blind index only."""
    return _by_index(phone_index=phone_index(e164), limit=limit)


def _by_index(*, limit: int, **match: str) -> list[UUID]:
    return list(
        Subject.objects.filter(erased_at__isnull=True, **match)
        .order_by("created_at")
        .values_list("id", flat=True)[:limit]
    )


def subject_standing(subject_id: UUID) -> str | None:
    """``"erased"``, ``"restricted"`` or ``""`` (neither); None for an unknown subject."""
    row = Subject.objects.filter(id=subject_id).values_list("erased_at", "restricted_at").first()
    if row is None:
        return None
    erased_at, restricted_at = row
    return "erased" if erased_at else "restricted" if restricted_at else ""


def purpose_events(subject_id: UUID, *, purposes: set[str]) -> list[PurposeEvent]:
    """The subject's ledger events for these purposes, oldest first."""
    return list(PurposeEvent.objects.filter(subject_id=subject_id, purpose__in=purposes))


def key_is_a_kek(key: bytes) -> bool:
    """Whether ``key`` is one of the configured key-encryption keys (a backup key must not be)."""
    return keys.kek_id(key) in keys.keyring().by_id
