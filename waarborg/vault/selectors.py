"""Reads of the vault that carry no personal values."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict
from uuid import UUID

from django.db.models import OuterRef, QuerySet, Subquery

from waarborg.policy.selectors import policy_current
from waarborg.vault.models import Acceptance, Subject

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
