"""Reading a subject's consent and objection history and who accessed their data.

The history is like a read of values: refused without a purpose it concerns (decided before the
subject is looked up), refused for an erased or restricted subject. The access log is the
privacy officer's, also for an erased or restricted person (answering a request needs it). Both
are audited whatever the answer, so probing leaves a trace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal
from uuid import UUID

from waarborg.audit.models import AuditEntry
from waarborg.audit.selectors import audit_about, audit_recent
from waarborg.core.actors import Actor
from waarborg.gate.services import Refused, audit_answer
from waarborg.policy.rules import (
    actor_personal_purposes,
    decides_objections,
    outside_reason,
    personal_purposes,
)
from waarborg.policy.schema import Policy, Purpose
from waarborg.policy.selectors import policy_current
from waarborg.vault.models import PurposeEvent
from waarborg.vault.selectors import purpose_events, subject_standing

Ledger = Literal["consents", "objections", "all"]
# What the gate hands a door: rows without personal values (names for the doors' type hints).
LedgerEvent = PurposeEvent
LogEntry = AuditEntry
_KIND = PurposeEvent.Kind
_CONSENT_KINDS = {_KIND.CONSENT_GIVEN, _KIND.CONSENT_CONFIRMED, _KIND.CONSENT_WITHDRAWN}
_OBJECTION_KINDS = {_KIND.OBJECTED, _KIND.GROUNDS_RECORDED}
_CONCERNS: dict[str, Callable[[Purpose], bool]] = {
    "consents": lambda spec: spec.basis == "consent",
    "objections": lambda spec: spec.objectable,
}
_ACTIONS = {"consents": "consent.list", "objections": "objection.list", "all": "ledger.read"}


def _ledger_purposes(policy: Policy, actor: Actor, ledger: Ledger) -> list[str]:
    """The purposes of this ledger that ``actor`` may see: those among its own that the ledger
    concerns; a role that decides on objections also sees every objection."""
    mine = actor_personal_purposes(policy, actor)
    officer = decides_objections(policy, actor)
    names = ("consents", "objections") if ledger == "all" else (ledger,)
    return [
        p
        for p, spec in personal_purposes(policy).items()
        if any(_CONCERNS[n](spec) and (p in mine or (officer and n == "objections")) for n in names)
    ]


def gate_ledger(*, actor: Actor, subject_id: UUID, ledger: Ledger) -> list[PurposeEvent] | Refused:
    """The subject's consent and/or objection events for the purposes ``actor`` may see."""
    purposes = _ledger_purposes(policy_current().policy, actor, ledger)
    standing = subject_standing(subject_id) if purposes else None
    reason = (
        outside_reason(actor) if not purposes else "not_found" if standing is None else standing
    )
    detail = {"purposes": purposes}
    audit_answer(
        actor=actor, action=_ACTIONS[ledger], reason=reason, subject_id=subject_id, detail=detail
    )
    if reason:
        return Refused(reason)
    kinds = {
        "consents": _CONSENT_KINDS,
        "objections": _OBJECTION_KINDS,
        "all": _CONSENT_KINDS | _OBJECTION_KINDS,
    }[ledger]
    return [e for e in purpose_events(subject_id, purposes=set(purposes)) if e.kind in kinds]


def gate_access_log(
    *, actor: Actor, subject_id: UUID, limit: int = 50
) -> list[AuditEntry] | Refused:
    """Who read or changed this person's data, newest first: for a role that decides on
    objections and answers requests (CMS: the privacy officer). Reading it is audited."""
    allowed = decides_objections(policy_current().policy, actor)
    reason = "" if allowed else outside_reason(actor)
    audit_answer(actor=actor, action="access_log.read", reason=reason, subject_id=subject_id)
    if reason:
        return Refused(reason)
    return audit_about(subject_id=subject_id, limit=limit)


def gate_own_accesses(*, actor: Actor, limit: int = 15) -> list[AuditEntry]:
    """What ``actor`` itself did lately (ids and decisions, no values): not a read of anyone's
    data, so not audited."""
    return audit_recent(actor_label=actor.label, limit=limit)


def gate_subject_records(
    *, actor: Actor, subject_id: UUID
) -> tuple[list[PurposeEvent] | None, list[AuditEntry] | None]:
    """For a staff page about one subject: the history and the access log, each None where the
    actor's role has no business with it (then nothing is asked, so nothing is logged: the page,
    not the person at it, would be the one asking). Where it has, each is read as above, audited;
    a refused history (erased, restricted subject) gives None too."""
    policy = policy_current().policy
    history = access = None
    if _ledger_purposes(policy, actor, "all"):
        events = gate_ledger(actor=actor, subject_id=subject_id, ledger="all")
        history = events if isinstance(events, list) else None
    if decides_objections(policy, actor):
        log = gate_access_log(actor=actor, subject_id=subject_id)
        access = log if isinstance(log, list) else None
    return history, access
