"""Changes a front door asks for: the vault's write services behind the same door as reads.

The vault checks what a system may record and writes each change with its audit entry. What is
added here is what a door must never forget: a ledger change names a purpose in the caller's
scope, a change about an unknown subject is audited, and every refusal leaves an entry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from uuid import UUID

from waarborg.audit.services import audit_record
from waarborg.core.actors import Actor
from waarborg.core.errors import Refusal
from waarborg.gate.rules import REASONS
from waarborg.gate.services import audit_answer
from waarborg.policy.rules import actor_refusal
from waarborg.policy.selectors import policy_current
from waarborg.vault import ledger, services
from waarborg.vault.models import Acceptance, PurposeState, Subject
from waarborg.vault.selectors import subject_standing

T = TypeVar("T")


def _audited(actor: Actor, action: str, subject_id: UUID | None, write: Callable[[], T]) -> T:
    """Run ``write``; a refusal the vault did not audit itself is audited here."""
    try:
        return write()
    except Refusal as refusal:
        if not refusal.audited:
            audit_record(
                actor=actor,
                action="api.refused" if actor.kind == "system" else "change.refused",
                subject_id=subject_id,
                decision="refused",
                reason=refusal.code,
                detail={"operation": action},
            )
            refusal.audited = True
        raise


def gate_subject_create(
    *, actor: Actor, product: str, fields: Mapping[str, object], accepted: str | None
) -> Subject:
    return _audited(
        actor,
        "subject_create",
        None,
        lambda: services.subject_create(
            actor=actor, product=product, fields=fields, accepted_policy_version=accepted
        ),
    )


def gate_subject_update(*, actor: Actor, subject_id: UUID, fields: Mapping[str, object]) -> Subject:
    return _audited(
        actor,
        "subject_update",
        subject_id,
        lambda: services.subject_update(actor=actor, subject_id=subject_id, fields=fields),
    )


def _ledger_door(actor: Actor, subject_id: UUID, purpose: str, action: str) -> None:
    """A ledger change names a purpose the caller acts for, about a subject that exists. Either
    refusal is audited: probing leaves a trace."""
    reason = actor_refusal(policy_current().policy, actor, purpose)
    if not reason and subject_standing(subject_id) is None:
        reason = "not_found"
    if not reason:
        return
    audit_answer(actor=actor, action=action, reason=reason, subject_id=subject_id, purpose=purpose)
    refusal = Refusal(reason, REASONS[reason])
    refusal.audited = True
    raise refusal


def _ledger_change(
    actor: Actor, subject_id: UUID, purpose: str, action: str, write: Callable[[], T]
) -> T:
    _ledger_door(actor, subject_id, purpose, action)
    return _audited(actor, action, subject_id, write)


def _ledger_call(service: Callable[..., PurposeState], action: str, **call: Any) -> PurposeState:
    """A ledger service called with ``actor``, ``subject_id``, ``purpose`` and the rest."""
    return _ledger_change(
        call["actor"], call["subject_id"], call["purpose"], action, lambda: service(**call)
    )


def gate_consent_record(
    *, actor: Actor, subject_id: UUID, purpose: str, granted: bool, **proof: str
) -> PurposeState:
    """Consent given or withdrawn; ``proof`` is the consent text's version and the channel."""
    action = f"consent.{'grant' if granted else 'withdraw'}"
    return _ledger_call(
        ledger.consent_record,
        action,
        actor=actor,
        subject_id=subject_id,
        purpose=purpose,
        granted=granted,
        **proof,
    )


def gate_consent_confirm(
    *, actor: Actor, subject_id: UUID, purpose: str, code: str
) -> PurposeState:
    """Double opt-in, step two: ``code`` is the single-use code from the person's link."""
    confirm = ledger.consent_confirm
    ids = {"actor": actor, "subject_id": subject_id, "purpose": purpose}
    return _ledger_call(confirm, "consent.confirm", code=code, **ids)


def gate_objection_record(*, actor: Actor, subject_id: UUID, purpose: str) -> PurposeState:
    record = ledger.objection_record
    return _ledger_call(
        record, "objection.record", actor=actor, subject_id=subject_id, purpose=purpose
    )


def gate_policy_accept(*, actor: Actor, subject_id: UUID, version: str) -> Acceptance:
    """C1: the person accepted this version of the statement (asked again after a change). A
    record for the contract: the caller must act for administration."""
    accept = services.policy_accept
    return _ledger_change(
        actor,
        subject_id,
        services.RECORD_PURPOSE,
        "policy.accept",
        lambda: accept(actor=actor, subject_id=subject_id, digest=version, how="api"),
    )


def gate_soft_optin_record(
    *,
    actor: Actor,
    subject_id: UUID,
    purpose: str,
    similar_products: bool,
    opt_out_offered: bool,
    source: str = "",
) -> PurposeState:
    """Tw 11.7 lid 3: an existing customer mailed about similar products without consent,
    recorded as a soft opt-in (the vault refuses it when the terms do not hold)."""
    terms = ledger.SoftOptIn(
        similar_products=similar_products, opt_out_offered=opt_out_offered, source=source
    )
    return _ledger_call(
        ledger.soft_optin_record,
        "consent.soft_opt_in",
        actor=actor,
        subject_id=subject_id,
        purpose=purpose,
        terms=terms,
    )
