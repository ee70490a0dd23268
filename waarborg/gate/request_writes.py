"""The changes that carry out a person's request: erase (keeping what the law makes us keep,
restricted), restrict and lift, object, and record compelling grounds. Each is a vault service
(one transaction with its audit entry); what is added here is the policy's part: which data the
law holds back from erasure, which purposes an objection reaches."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waarborg.core.actors import Actor
from waarborg.core.errors import Refusal
from waarborg.policy.holds import Hold, legal_holds
from waarborg.policy.selectors import policy_current
from waarborg.vault import ledger, services
from waarborg.vault.models import PurposeState, Subject

NOT_OBJECTED = _("This person has not objected to this purpose.")


@dataclass(frozen=True)
class Erasure:
    erased: list[str]  # fields erased now (none when done before)
    holds: list[Hold] = field(default_factory=list)  # what is kept, on which ground, until when

    @property
    def kept(self) -> list[str]:
        return sorted({f for h in self.holds for f in h.fields})


def _subject(subject_id: UUID) -> Subject | None:
    return Subject.objects.filter(id=subject_id).first()


def gate_request_erase(*, actor: Actor, subject_id: UUID, reason: str) -> Erasure:
    """Erase the person, but for the values a legal obligation makes us keep: those stay,
    restricted, until its period ends. Idempotent: an erased person is erased already."""
    subject = _subject(subject_id)
    if subject is None or subject.erased_at is not None:
        return Erasure(erased=[])
    policy = policy_current().policy
    today = timezone.localdate()
    holds = [
        h
        for h in legal_holds(policy, kind=subject.kind, product=subject.product, today=today)
        if any(f in subject.values for f in h.fields)
    ]
    if not holds:
        erased = list(subject.values)
        services.subject_erase(actor=actor, subject_id=subject_id, reason=reason)
        return Erasure(erased=erased)
    keep = {f for h in holds for f in h.fields}
    until = max(h.until for h in holds)
    erased = services.subject_erase_held(
        actor=actor, subject_id=subject_id, keep=keep, held_until=until, reason=reason
    )
    return Erasure(erased=erased, holds=holds)


def gate_request_restrict(*, actor: Actor, subject_id: UUID, reason: str) -> bool:
    """Storage only (Art. 18); True when restricted now or before, False for an erased person."""
    subject = _subject(subject_id)
    if subject is None or subject.erased_at is not None:
        return False
    services.subject_restrict(actor=actor, subject_id=subject_id, reason=reason)
    return True


def gate_request_lift(*, actor: Actor, subject_id: UUID, reason: str) -> bool:
    """Lift a restriction (the person was told first); never one the law holds: False then."""
    subject = _subject(subject_id)
    if subject is None or subject.erased_at is not None or subject.held_until is not None:
        return False
    services.subject_lift_restriction(actor=actor, subject_id=subject_id, reason=reason)
    return True


@dataclass(frozen=True)
class Objection:
    direct_marketing: list[str]  # stopped for good (Art. 21(3))
    legitimate_interest: list[str]  # stopped until compelling grounds are recorded (21(1))


def gate_request_object(*, actor: Actor, subject_id: UUID) -> Objection:
    """Object, for the person, to every purpose that an objection reaches and that concerns
    them (their kind, their product). One transaction: all or none."""
    subject = _subject(subject_id)
    if subject is None or subject.erased_at is not None:
        return Objection([], [])
    policy = policy_current().policy
    marketing: list[str] = []
    interest: list[str] = []
    with transaction.atomic():
        for key, spec in policy.purposes.items():
            if not spec.objectable or subject.kind not in spec.subject_kinds:
                continue
            if spec.products is not None and subject.product not in spec.products:
                continue
            ledger.objection_record(actor=actor, subject_id=subject_id, purpose=key)
            (marketing if spec.direct_marketing else interest).append(key)
    return Objection(marketing, interest)


def gate_request_grounds(*, actor: Actor, subject_id: UUID, purpose: str, grounds: str) -> None:
    """A privacy officer records compelling grounds that outweigh the person's objection to a
    legitimate-interest purpose (Art. 21(1)); the vault checks the role and the purpose."""
    state = PurposeState.objects.filter(subject_id=subject_id, purpose=purpose).first()
    if state is None or not state.objected:
        raise Refusal("not_objected", NOT_OBJECTED)
    ledger.grounds_record(actor=actor, subject_id=subject_id, purpose=purpose, grounds=grounds)


def gate_holds_release(*, actor: Actor, today: date | None = None) -> int:
    """Erase the rest of every person whose statutory hold has ended; how many."""
    today = today or timezone.localdate()
    ended = Subject.objects.filter(erased_at__isnull=True, held_until__lt=today)
    ids = list(ended.values_list("id", flat=True)[:500])
    for subject_id in ids:
        services.subject_erase(actor=actor, subject_id=subject_id, reason="statutory hold ended")
    return len(ids)
