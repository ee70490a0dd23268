"""Who may act for which purpose, and which fields a purpose covers: read from the policy alone.

The gate (reads) and the vault (writes) both decide with these functions, so the rule that an
aggregate-only purpose never opens or records one person's data is written once, here.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from waarborg.core.actors import Actor
from waarborg.core.errors import Text
from waarborg.policy.checks import covered
from waarborg.policy.schema import I18n, Policy, Purpose, System


def actor_purposes(policy: Policy, actor: Actor) -> set[str]:
    """The purposes a system's token names, or those of a staff user's roles."""
    if actor.kind == "system":
        return {p for p in actor.scopes if p in policy.purposes}
    return {p for role in actor.roles if role in policy.roles for p in policy.roles[role].purposes}


def personal_purposes(policy: Policy) -> dict[str, Purpose]:
    """The purposes that may use one person's data: all but the aggregate-only ones (C8)."""
    return {k: spec for k, spec in policy.purposes.items() if not spec.aggregate_only}


def actor_personal_purposes(policy: Policy, actor: Actor) -> set[str]:
    """The actor's purposes that may use one person's data (answering requests only for the
    jobs that carry them out)."""
    mine = actor_purposes(policy, actor) & set(personal_purposes(policy))
    if actor.kind == "job":
        return mine
    return {p for p in mine if not policy.purposes[p].data_subject_requests}


def actor_refusal(policy: Policy, actor: Actor, purpose: str) -> str:
    """Why ``actor`` may not act for ``purpose`` at all: ``unknown_purpose``,
    ``scope_not_permitted`` (a system) or ``role_not_permitted`` (staff); "" when it may."""
    if purpose not in policy.purposes:
        return "unknown_purpose"
    if purpose not in actor_purposes(policy, actor):
        return outside_reason(actor)
    return ""


def outside_reason(actor: Actor) -> str:
    """How a purpose outside the actor's reach is refused: a system's scope, a staff role."""
    return "scope_not_permitted" if actor.kind == "system" else "role_not_permitted"


def purpose_refusal(policy: Policy, actor: Actor, purpose: str) -> str:
    """Why ``actor`` may use no one's data for ``purpose``, decided without looking at anyone:
    ``actor_refusal``, ``requests_only`` (the purpose of answering requests, held by a token or
    role that files them: only the job carrying one out reads under it) or ``aggregate_only``;
    "" when it may."""
    spec = policy.purposes.get(purpose)
    if spec is not None and spec.data_subject_requests and actor.kind == "job":
        return ""  # a job acts for no role or token: carrying out a request is what it is for
    reason = actor_refusal(policy, actor, purpose)
    if reason or spec is None:
        return reason
    if spec.data_subject_requests:
        return "requests_only"
    return "aggregate_only" if spec.aggregate_only else ""


def requests_purpose(policy: Policy) -> str:
    """The purpose under which requests are carried out (CMS: ``rights``), or ""."""
    return next((k for k, p in policy.purposes.items() if p.data_subject_requests), "")


def decides_objections(policy: Policy, actor: Actor) -> bool:
    """A staff role the policy charges with objections (and so with the subject's ledger and
    access log): CMS's privacy officer."""
    return any(policy.roles[r].decides_objections for r in actor.roles if r in policy.roles)


def purpose_covers_field(policy: Policy, spec: Purpose, field: str) -> bool:
    return field in policy.fields and covered(spec.categories, policy.fields[field].category)


def purpose_reads_field(policy: Policy, spec: Purpose, field: str) -> bool:
    """Whether a read for ``spec`` shows ``field``: what the purpose covers, and every field
    when it answers a person's own request (access covers all their data, Art. 15). Writes
    stay limited to what a purpose covers (``fields_outside``)."""
    if spec.data_subject_requests:
        return field in policy.fields
    return purpose_covers_field(policy, spec, field)


def fields_outside(policy: Policy, actor: Actor, fields: Iterable[str]) -> list[str]:
    """The fields none of the actor's personal purposes covers (unknown names are left to
    validation). A system or staff user records only what it may also read for some purpose."""
    specs = [policy.purposes[p] for p in actor_personal_purposes(policy, actor)]
    return sorted(
        f
        for f in fields
        if f in policy.fields and not any(purpose_covers_field(policy, s, f) for s in specs)
    )


# What each refusal decided above says to a person (the gate adds those about one subject).
REASONS: dict[str, Text] = {
    "unknown_purpose": _("This purpose does not exist in the policy."),
    "role_not_permitted": _("Your role may not use data for this purpose."),
    "scope_not_permitted": _("This system may not use data for this purpose."),
    "aggregate_only": _("This purpose uses aggregated data only, never one person's data."),
    "requests_only": _(
        "Under this purpose only the carrying out of a person's own request reads their data."
    ),
}


VAULT_SYSTEM = System(
    connector="vault",
    name=I18n(nl="Klantgegevens (kluis)", en="Customer data (vault)"),
)


def policy_systems(policy: Policy) -> dict[str, System]:
    """The systems a request is carried out in, in the policy's order; the vault alone when the
    policy lists none."""
    return dict(policy.systems) if policy.systems else {"vault": VAULT_SYSTEM}


def keeps_registers(policy: Policy, actor: Actor) -> bool:
    """Whether ``actor`` keeps the registers (Art. 30 record of processing activities, and later
    breaches and disclosures): the role charged with objections and requests, CMS's privacy
    officer."""
    return decides_objections(policy, actor)
