"""The purpose gate: (actor, purpose, subject) -> the fields that purpose may see, or a refusal.

Every read of personal data goes through here and leaves an audit entry, allowed or refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from waarborg.audit.services import audit_record
from waarborg.core.actors import Actor, Message
from waarborg.gate.decrypt import open_values
from waarborg.policy.checks import covered
from waarborg.policy.schema import Policy, Purpose
from waarborg.policy.selectors import policy_current
from waarborg.vault.models import PurposeState, Subject

REASONS = {
    "unknown_purpose": Message(
        "Dit doeleinde bestaat niet in het beleid.", "This purpose does not exist in the policy."
    ),
    "role_not_permitted": Message(
        "Uw rol mag gegevens niet voor dit doeleinde gebruiken.",
        "Your role may not use data for this purpose.",
    ),
    "scope_not_permitted": Message(
        "Dit systeem mag gegevens niet voor dit doeleinde gebruiken.",
        "This system may not use data for this purpose.",
    ),
    "not_found": Message("Deze persoon bestaat niet.", "This data subject does not exist."),
    "erased": Message(
        "De gegevens van deze persoon zijn gewist.", "This person's data has been erased."
    ),
    "restricted": Message(
        "De verwerking is beperkt: de gegevens worden alleen bewaard.",
        "Processing is restricted: the data is only stored.",
    ),
    "objected": Message(
        "Deze persoon heeft bezwaar gemaakt tegen dit doeleinde.",
        "This person has objected to this purpose.",
    ),
    "no_consent": Message(
        "Deze persoon heeft geen (geldige) toestemming gegeven voor dit doeleinde.",
        "This person has not given (valid) consent for this purpose.",
    ),
    "integrity_error": Message(
        "De gegevens van deze persoon kunnen niet worden ontsleuteld; dit is gemeld.",
        "This person's data cannot be decrypted; this has been recorded.",
    ),
    "aggregate_only": Message(
        "Dit doeleinde gebruikt alleen samengevoegde gegevens, nooit die van één persoon.",
        "This purpose uses aggregated data only, never one person's data.",
    ),
    "not_applicable": Message(
        "Dit doeleinde geldt niet voor dit soort betrokkene.",
        "This purpose does not apply to this kind of data subject.",
    ),
}


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
    def message(self) -> Message | None:
        return REASONS.get(self.reason)


@dataclass(frozen=True)
class Refused:
    reason: str

    @property
    def message(self) -> Message:
        return REASONS[self.reason]


def actor_purposes(policy: Policy, actor: Actor) -> set[str]:
    if actor.kind == "system":
        return set(actor.scopes)
    return {p for role in actor.roles if role in policy.roles for p in policy.roles[role].purposes}


def _actor_refusal(policy: Policy, actor: Actor, purpose: str) -> str:
    if purpose not in policy.purposes:
        return "unknown_purpose"
    if purpose not in actor_purposes(policy, actor):
        return "scope_not_permitted" if actor.kind == "system" else "role_not_permitted"
    return ""


def _state_refusal(spec: Purpose, subject: Subject, state: PurposeState | None) -> str:
    if subject.erased_at is not None:
        return "erased"
    if subject.restricted_at is not None:
        return "restricted"
    if subject.kind not in spec.subject_kinds:
        return "not_applicable"
    if (
        state is not None
        and state.objected
        and (spec.direct_marketing or not state.compelling_grounds)
    ):
        return "objected"
    if spec.basis == "consent" and (state is None or state.consent != PurposeState.Consent.GRANTED):
        return "no_consent"
    return ""


def _visible(policy: Policy, spec: Purpose, subject: Subject) -> list[str]:
    return sorted(
        f
        for f in subject.values
        if f in policy.fields and covered(spec.categories, policy.fields[f].category)
    )


def gate_purpose_refusal(*, actor: Actor, purpose: str) -> str:
    """Why ``actor`` may read no one's data for ``purpose`` (unknown purpose, outside its role or
    scope, aggregate only), or "". Decided without looking at any subject, so a caller can refuse
    before a lookup that would reveal who exists. Not audited: the caller audits its answer."""
    policy = policy_current().policy
    reason = _actor_refusal(policy, actor, purpose)
    if not reason and policy.purposes[purpose].aggregate_only:
        reason = "aggregate_only"
    return reason


def _decide(actor: Actor, purpose: str, subject: Subject | UUID) -> tuple[Decision, Subject | None]:
    policy = policy_current().policy
    reason = gate_purpose_refusal(actor=actor, purpose=purpose)
    if reason:
        return Decision(False, [], reason), None
    row = _fetch(_subject_id(subject), purpose)
    if row is None:
        return Decision(False, [], "not_found"), None
    found, state = row
    spec = policy.purposes[purpose]
    reason = _state_refusal(spec, found, state)
    if reason:
        return Decision(False, [], reason), found
    return Decision(True, _visible(policy, spec, found)), found


# What the decision and the decryption need of a subject, in the model's field order (so the row
# can become a Subject with the others deferred), and of its state for the purpose asked about.
_SUBJECT_READ = (
    "id",
    "kind",
    "product",
    "values",
    "wrapped_dek",
    "kek_id",
    "restricted_at",
    "erased_at",
)
_SUBJECT_FIELDS: list[Any] = [
    f for f in Subject._meta.concrete_fields if f.attname in _SUBJECT_READ
]
_STATE_FIELDS: list[Any] = [
    PurposeState._meta.get_field(n) for n in ("id", "consent", "objected", "compelling_grounds")
]

Converter = Callable[[Any, Any, Any], Any]
_converters: dict[str, list[tuple[Any, list[Converter]]]] = {}


def _fetch_sql() -> str:
    q = connection.ops.quote_name
    subject = ", ".join(f"s.{q(f.column)}" for f in _SUBJECT_FIELDS)
    state = ", ".join(f"st.{q(f.column)}" for f in _STATE_FIELDS)
    return (
        f"SELECT {subject}, {state} FROM {q(Subject._meta.db_table)} s "  # noqa: S608 - ours
        f"LEFT JOIN {q(PurposeState._meta.db_table)} st "
        "ON st.subject_id = s.id AND st.purpose = %s WHERE s.id = %s"
    )


def _row_converters() -> list[tuple[Any, list[Converter]]]:
    """Per column, what the ORM would apply to the raw value (JSON, dates and UUIDs on SQLite,
    booleans), worked out once per database backend."""
    found = _converters.get(connection.vendor)
    if found is None:
        found = []
        for field in [*_SUBJECT_FIELDS, *_STATE_FIELDS]:
            col = field.get_col(field.model._meta.db_table)
            found.append(
                (col, connection.ops.get_db_converters(col) + field.get_db_converters(connection))
            )
        _converters[connection.vendor] = found
    return found


def _fetch(subject_id: UUID, purpose: str) -> tuple[Subject, PurposeState | None] | None:
    """One query: the subject with its state for this purpose (a LEFT JOIN on the primary key;
    measured at about half the time of the same query built with FilteredRelation). Read with a
    plain cursor: ``Subject.objects.raw`` cost about 100 us more per read."""
    pk = Subject._meta.pk.get_db_prep_value(subject_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(_fetch_sql(), [purpose, pk])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for i, (col, converters) in enumerate(_row_converters()):
        for convert in converters:
            values[i] = convert(values[i], col, connection)
    split = len(_SUBJECT_FIELDS)
    subject = Subject.from_db(connection.alias, list(_SUBJECT_READ), values[:split])
    state_id, consent, objected, grounds = values[split:]
    if state_id is None:
        return subject, None
    state = PurposeState(
        id=state_id,
        subject=subject,
        purpose=purpose,
        consent=consent,
        objected=objected,
        compelling_grounds=grounds,
    )
    return subject, state


def _subject_id(subject: Subject | UUID) -> UUID:
    """The subject asked about, also when the answer is a refusal: probing must be visible."""
    return subject.id if isinstance(subject, Subject) else subject


def _audit(
    actor: Actor, purpose: str, subject_id: UUID | None, decision: Decision, action: str
) -> None:
    audit_record(
        actor=actor,
        action=action,
        subject_id=subject_id,
        purpose=purpose,
        fields=decision.fields,
        decision="allowed" if decision.allowed else "refused",
        reason=decision.reason,
    )


def gate_check(*, actor: Actor, purpose: str, subject: Subject | UUID) -> Decision:
    """The decision alone, without values (``POST /api/v1/gate/check``); audited."""
    decision, _ = _decide(actor, purpose, subject)
    _audit(actor, purpose, _subject_id(subject), decision, "gate.check")
    return decision


def gate_fields(*, actor: Actor, purpose: str, subject: Subject | UUID) -> Allowed | Refused:
    """The values this purpose may see for this subject, or a refusal saying why; audited.

    No transaction of its own: the decision is one SELECT and the audit entry one INSERT that
    commits by itself, and values are returned only after that INSERT succeeded. (BEGIN and
    COMMIT around the two were half the round trips of an API read.) Inside a caller's
    transaction the entry commits or rolls back with it."""
    decision, found = _decide(actor, purpose, subject)
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


def gate_write(
    *, actor: Actor, action: str, subject_id: UUID | None, fields: Iterable[str]
) -> list[str]:
    """The fields ``actor`` may not record: a field is writable only when one of the actor's
    purposes covers its category (an aggregate-only purpose never does). Unknown names are left
    to validation. A refusal is audited here; an allowed write is audited by the service."""
    policy = policy_current().policy
    specs = [
        policy.purposes[p]
        for p in actor_purposes(policy, actor)
        if p in policy.purposes and not policy.purposes[p].aggregate_only
    ]
    outside = sorted(
        f
        for f in fields
        if f in policy.fields
        and not any(covered(spec.categories, policy.fields[f].category) for spec in specs)
    )
    if outside:
        audit_record(
            actor=actor,
            action=action,
            subject_id=subject_id,
            fields=outside,
            decision="refused",
            reason="scope_not_permitted",
        )
    return outside


def gate_subjects(
    *, actor: Actor, purpose: str, queryset: QuerySet[Subject]
) -> QuerySet[Subject] | Refused:
    """Narrow ``queryset`` to the subjects ``purpose`` may use, in one SQL query, whatever the size.

    The result carries no values: reading them is ``gate_fields`` per subject. The selection itself
    is audited once."""
    policy = policy_current().policy
    reason = _actor_refusal(policy, actor, purpose)
    if reason:
        _audit(actor, purpose, None, Decision(False, [], reason), "gate.select")
        return Refused(reason)
    spec = policy.purposes[purpose]
    states = PurposeState.objects.filter(subject=OuterRef("pk"), purpose=purpose)
    blocked = Q(objected=True) if spec.direct_marketing else Q(objected=True, compelling_grounds="")
    narrowed = queryset.filter(
        erased_at__isnull=True, restricted_at__isnull=True, kind__in=spec.subject_kinds
    ).exclude(Exists(states.filter(blocked)))
    if spec.basis == "consent":
        # A join rather than EXISTS: (subject, purpose) is unique, so no row repeats, and the
        # planner can start from the audience index instead of scanning every subject.
        narrowed = narrowed.filter(
            states__purpose=purpose, states__consent=PurposeState.Consent.GRANTED
        )
    _audit(actor, purpose, None, Decision(True, []), "gate.select")
    return narrowed
