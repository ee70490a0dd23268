"""Loading many subjects at once (demo data, imports), exactly as one-by-one creation would."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import transaction
from django.utils import timezone

from waarborg.audit.models import AuditEntry
from waarborg.audit.services import audit_entry, audit_record_many
from waarborg.core.actors import Actor
from waarborg.policy.loader import LoadedPolicy
from waarborg.policy.selectors import policy_current
from waarborg.vault.ledger import consent_rules
from waarborg.vault.models import Acceptance, PurposeEvent, PurposeState, Subject
from waarborg.vault.services import subject_build, version_check

Item = tuple[str, Mapping[str, object], list[str]]  # product, fields, purposes consented to


def subjects_bulk_create(
    *, actor: Actor, items: Sequence[Item], accepted_policy_version: str
) -> int:
    """Create many subjects in one transaction.

    Each subject is validated and encrypted exactly as ``subject_create`` does, each purpose must
    be one that takes consent, and the accepted version must exist; every creation and consent is
    audited. Any bad item rejects the batch."""
    loaded = policy_current()
    for purpose in sorted({p for _, _, purposes in items for p in purposes}):
        consent_rules(purpose)
    subjects = [subject_build(product=product, fields=fields) for product, fields, _ in items]
    now = timezone.now()
    with transaction.atomic():
        accepted_policy_version = version_check(accepted_policy_version)
        Subject.objects.bulk_create(subjects, batch_size=1000)
        Acceptance.objects.bulk_create(
            [
                Acceptance(
                    subject=s,
                    policy_digest=accepted_policy_version,
                    accepted_at=now,
                    how="signup",
                    source=actor.label,
                )
                for s in subjects
            ],
            batch_size=1000,
        )
        entries: list[AuditEntry] = []
        for subject in subjects:
            entries += _creation_entries(actor, subject, accepted_policy_version)
        states, events = _consents(actor, loaded, subjects, items, entries)
        PurposeState.objects.bulk_create(states, batch_size=1000)
        PurposeEvent.objects.bulk_create(events, batch_size=1000)
        audit_record_many(entries)
    return len(subjects)


def _creation_entries(actor: Actor, subject: Subject, version: str) -> list[AuditEntry]:
    return [
        audit_entry(
            actor=actor,
            action="subject.create",
            subject_id=subject.id,
            fields=list(subject.values),
            detail={"product": subject.product},
        ),
        audit_entry(
            actor=actor,
            action="policy.accept",
            subject_id=subject.id,
            detail={"version": version[:12], "how": "signup"},
        ),
    ]


def _consents(
    actor: Actor,
    loaded: LoadedPolicy,
    subjects: list[Subject],
    items: Sequence[Item],
    entries: list[AuditEntry],
) -> tuple[list[PurposeState], list[PurposeEvent]]:
    """Bulk-loaded consent counts as given and, where double opt-in applies, confirmed: both
    steps are recorded, as ``consent_record`` + ``consent_confirm`` would."""
    now = timezone.now()
    states: list[PurposeState] = []
    events: list[PurposeEvent] = []
    for subject, (_, _, purposes) in zip(subjects, items, strict=True):
        for purpose in purposes:
            states.append(
                PurposeState(
                    subject=subject,
                    purpose=purpose,
                    consent=PurposeState.Consent.GRANTED,
                    updated_at=now,
                )
            )
            kinds = [PurposeEvent.Kind.CONSENT_GIVEN]
            rules = loaded.policy.purposes[purpose].consent
            if rules is not None and rules.double_opt_in:
                kinds.append(PurposeEvent.Kind.CONSENT_CONFIRMED)
            events.extend(
                PurposeEvent(
                    subject=subject,
                    purpose=purpose,
                    kind=kind,
                    at=now,
                    text_version="demo-1",
                    channel="web",
                    source=actor.label,
                    policy_digest=loaded.digest,
                )
                for kind in kinds
            )
            entries.append(
                audit_entry(
                    actor=actor, action="consent.grant", subject_id=subject.id, purpose=purpose
                )
            )
    return states, events
