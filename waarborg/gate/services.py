"""The purpose gate: (actor, purpose, subject) -> the fields that purpose may see, or a refusal.

Every read of personal data goes through here and leaves an audit entry, allowed or refused. The
refusals are written once: about the actor and purpose in ``policy.rules``, about one subject's
state in ``gate.rules``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from cryptography.exceptions import InvalidTag
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

from waarborg.audit.services import audit_record
from waarborg.core.actors import Actor
from waarborg.core.errors import Text
from waarborg.gate.decrypt import open_values
from waarborg.gate.fetch import subject_with_state
from waarborg.gate.rules import REASONS, RULES, subject_refusal
from waarborg.policy.loader import LoadedPolicy
from waarborg.policy.rules import actor_personal_purposes, purpose_reads_field, purpose_refusal
from waarborg.policy.selectors import policy_current
from waarborg.vault.models import Subject


@dataclass(frozen=True)
class Allowed:
    purpose: str
    fields: dict[str, str]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    fields: list[str]
    reason: str = ""

    @property
    def message(self) -> Text | None:
        return REASONS.get(self.reason)


@dataclass(frozen=True)
class Refused:
    reason: str

    @property
    def message(self) -> Text:
        return REASONS[self.reason]


def gate_purposes(*, actor: Actor) -> list[str]:
    """The purposes for which ``actor`` may read one person's data, in the policy's order."""
    policy = policy_current().policy
    allowed = actor_personal_purposes(policy, actor)
    return [p for p in policy.purposes if p in allowed]


def gate_purpose_refusal(*, actor: Actor, purpose: str) -> str:
    """Why ``actor`` may read no one's data for ``purpose`` (unknown purpose, outside its role or
    scope, aggregate only), or "". Decided without looking at any subject, so a caller can refuse
    before a lookup that would reveal who exists. Not audited: the caller audits its answer."""
    return purpose_refusal(policy_current().policy, actor, purpose)


_DERIVED_MAX = 4096  # entries per policy (actors x purposes); past it, start again
T = TypeVar("T")


def _derived(loaded: LoadedPolicy, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """What the policy in force decides without looking at anyone, worked out once per policy
    instead of on every read."""
    memo = loaded.derived
    try:
        return memo[key]  # type: ignore[no-any-return]
    except KeyError:
        if len(memo) >= _DERIVED_MAX:
            memo.clear()
        found = memo[key] = compute()
        return found


def _visible(loaded: LoadedPolicy, purpose: str, subject: Subject) -> list[str]:
    """The subject's fields this purpose reads, in the policy's order of fields."""
    policy = loaded.policy
    spec = policy.purposes[purpose]
    reads = _derived(
        loaded,
        ("reads", purpose),
        lambda: tuple(f for f in policy.fields if purpose_reads_field(policy, spec, f)),
    )
    return [f for f in reads if f in subject.values]


def _decide(actor: Actor, purpose: str, subject_id: UUID) -> tuple[Decision, Subject | None]:
    loaded = policy_current()
    reason = _derived(
        loaded, ("refusal", actor, purpose), lambda: purpose_refusal(loaded.policy, actor, purpose)
    )
    if reason:
        return Decision(False, [], reason), None
    row = subject_with_state(subject_id, purpose)
    if row is None:
        return Decision(False, [], "not_found"), None
    found, state = row
    reason = subject_refusal(loaded.policy.purposes[purpose], found, state)
    if reason:
        return Decision(False, [], reason), found
    return Decision(True, _visible(loaded, purpose, found)), found


def gate_reach(*, actor: Actor, subject_id: UUID) -> str:
    """ "" when at least one of ``actor``'s purposes may read this subject; otherwise the reason
    for its first purpose. Not audited: the caller audits its own answer (a search)."""
    reasons = [_decide(actor, p, subject_id)[0].reason for p in gate_purposes(actor=actor)]
    return "" if "" in reasons else (reasons[0] if reasons else "role_not_permitted")


def _subject_id(subject: Subject | UUID) -> UUID:
    """The subject asked about, also when the answer is a refusal: probing must be visible."""
    return subject.id if isinstance(subject, Subject) else subject


def audit_answer(
    *,
    actor: Actor,
    action: str,
    reason: str,
    subject_id: UUID | None = None,
    purpose: str = "",
    fields: list[str] | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Audit a gate answer: refused with ``reason``, or allowed ("") with the ``fields`` read."""
    audit_record(
        actor=actor,
        action=action,
        subject_id=subject_id,
        purpose=purpose,
        fields=fields or [],
        decision="refused" if reason else "allowed",
        reason=reason,
        detail=detail,
    )


def _audit(
    actor: Actor, purpose: str, subject_id: UUID | None, decision: Decision, action: str
) -> None:
    audit_answer(
        actor=actor,
        action=action,
        reason=decision.reason,
        subject_id=subject_id,
        purpose=purpose,
        fields=decision.fields,
    )


def gate_check(*, actor: Actor, purpose: str, subject: Subject | UUID) -> Decision:
    """The decision alone, without values (``POST /api/v1/gate/check``); audited."""
    decision, _ = _decide(actor, purpose, _subject_id(subject))
    _audit(actor, purpose, _subject_id(subject), decision, "gate.check")
    return decision


def gate_fields(*, actor: Actor, purpose: str, subject: Subject | UUID) -> Allowed | Refused:
    """The values this purpose may see for this subject, or a refusal saying why; audited.

    No transaction of its own: the decision is one SELECT and the audit entry one INSERT that
    commits by itself, and values are returned only after that INSERT succeeded. (BEGIN and
    COMMIT around the two were half the round trips of an API read.) Inside a caller's
    transaction the entry commits or rolls back with it."""
    decision, found = _decide(actor, purpose, _subject_id(subject))
    values: dict[str, str] = {}
    if decision.allowed and found is not None:
        try:
            values = open_values(found, decision.fields)
        except (InvalidTag, ImproperlyConfigured, ValueError):
            # Tampered ciphertext or a key that is not configured: the log must not say the
            # values were read.
            decision = Decision(False, [], "integrity_error")
    _audit(actor, purpose, _subject_id(subject), decision, "gate.read")
    if not decision.allowed:
        return Refused(decision.reason)
    return Allowed(purpose=purpose, fields=values)


def gate_subjects(
    *, actor: Actor, purpose: str, queryset: QuerySet[Subject]
) -> QuerySet[Subject] | Refused:
    """Narrow ``queryset`` to the subjects ``purpose`` may use, in one SQL query, whatever the size.

    The result carries no values: reading them is ``gate_fields`` per subject. The selection itself
    is audited once. An aggregate-only purpose may select (to count), never read."""
    policy = policy_current().policy
    reason = purpose_refusal(policy, actor, purpose)
    if reason and reason != "aggregate_only":
        _audit(actor, purpose, None, Decision(False, [], reason), "gate.select")
        return Refused(reason)
    spec = policy.purposes[purpose]
    narrowed = queryset
    for rule in RULES:  # one filter() per rule: the consent join must not merge with another
        narrowed = narrowed.filter(rule.keeps(spec, purpose))
    _audit(actor, purpose, None, Decision(True, []), "gate.select")
    return narrowed
