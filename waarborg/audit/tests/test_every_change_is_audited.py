"""Every gate decision and every change writes one audit entry, in the same transaction.

Proof of "same transaction": with the audit INSERT made to fail by a trigger, the change itself
does not happen (and a read returns nothing); and a change that fails leaves no entry.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import DatabaseError, transaction

from waarborg.audit.models import AuditEntry
from waarborg.conftest import staff
from waarborg.gate.services import Allowed, Refused, gate_check, gate_fields, gate_subjects
from waarborg.policy.selectors import policy_current
from waarborg.vault.ledger import consent_confirm, consent_record
from waarborg.vault.models import Acceptance, PurposeEvent, PurposeState, Subject
from waarborg.vault.services import (
    VaultError,
    policy_accept,
    subject_create,
    subject_erase,
    subject_lift_restriction,
    subject_restrict,
    subject_update,
)
from waarborg.vault.tests.factories import (
    OFFICER,
    SIGNUP,
    audit_inserts_fail,
    grant,
    grant_by_email,
    object_to,
    override,
    pro_customer,
    pro_fields,
    withdraw,
)
from waarborg.vault.validation import InvalidFields

pytestmark = pytest.mark.django_db

SUPPORT = staff("support")
CODES: dict[uuid.UUID, str] = {}  # the code of each confirmation link a case prepared
MARKETING = staff("marketing")


def _snapshot(subject: Subject | None) -> Any:
    """Everything a change could touch, to compare before and after a failed attempt."""
    rows = list(Subject.objects.order_by("id").values())
    states = list(PurposeState.objects.order_by("id").values())
    events = PurposeEvent.objects.count()
    accepts = Acceptance.objects.count()
    return rows, states, events, accepts


@dataclass
class Case:
    name: str
    run: Callable[[Subject], Any]
    action: str
    actor: str
    purpose: str = ""
    fields: list[str] = field(default_factory=list)
    decision: str = ""
    reason: str = ""
    prepare: Callable[[Subject], Any] = lambda s: None
    on_subject: bool = True


ALL_FIELDS = sorted(pro_fields())
CASES = [
    Case(
        "update",
        lambda s: subject_update(actor=SUPPORT, subject_id=s.id, fields={"city": "Utrecht"}),
        "subject.update",
        SUPPORT.label,
        fields=["city"],
    ),
    Case(
        "erase",
        lambda s: subject_erase(actor=OFFICER, subject_id=s.id, reason="request R-7"),
        "subject.erase",
        OFFICER.label,
        fields=ALL_FIELDS,
    ),
    Case(
        "restrict",
        lambda s: subject_restrict(actor=OFFICER, subject_id=s.id, reason="contested"),
        "subject.restrict",
        OFFICER.label,
    ),
    Case(
        "lift_restriction",
        lambda s: subject_lift_restriction(actor=OFFICER, subject_id=s.id, reason="resolved"),
        "subject.unrestrict",
        OFFICER.label,
        prepare=lambda s: subject_restrict(actor=OFFICER, subject_id=s.id, reason="contested"),
    ),
    Case(
        "consent_grant",
        lambda s: consent_record(
            actor=SIGNUP,
            subject_id=s.id,
            purpose="newsletter",
            granted=True,
            text_version="consent-text-3",
            channel="web",
        ),
        "consent.grant",
        SIGNUP.label,
        purpose="newsletter",
    ),
    Case(
        "consent_withdraw",
        lambda s: withdraw(s, "newsletter"),
        "consent.withdraw",
        SIGNUP.label,
        purpose="newsletter",
        prepare=lambda s: grant(s, "newsletter"),
    ),
    Case(
        "consent_confirm",
        lambda s: consent_confirm(
            actor=SIGNUP, subject_id=s.id, purpose="offers", code=CODES[s.id]
        ),
        "consent.confirm",
        SIGNUP.label,
        purpose="offers",
        prepare=lambda s: CODES.update({s.id: grant_by_email(s, "offers", confirm=False)}),
    ),
    Case(
        "objection",
        lambda s: object_to(s, "security"),
        "objection.record",
        SIGNUP.label,
        purpose="security",
    ),
    Case(
        "grounds",
        lambda s: override(s, "security"),
        "objection.grounds",
        OFFICER.label,
        purpose="security",
        prepare=lambda s: object_to(s, "security"),
    ),
    Case(
        "policy_accept",
        lambda s: policy_accept(
            actor=SIGNUP, subject_id=s.id, digest=policy_current().digest, how="web"
        ),
        "policy.accept",
        SIGNUP.label,
    ),
    Case(
        "gate_read_allowed",
        lambda s: gate_fields(actor=SUPPORT, purpose="administration", subject=s.id),
        "gate.read",
        SUPPORT.label,
        purpose="administration",
        fields=["city", "email", "gender", "house_number", "name", "phone", "postcode", "street"],
        decision="allowed",
    ),
    Case(
        "gate_read_refused",
        lambda s: gate_fields(actor=MARKETING, purpose="newsletter", subject=s.id),
        "gate.read",
        MARKETING.label,
        purpose="newsletter",
        decision="refused",
        reason="no_consent",
    ),
    Case(
        "gate_read_role_refused",
        lambda s: gate_fields(actor=MARKETING, purpose="administration", subject=s.id),
        "gate.read",
        MARKETING.label,
        purpose="administration",
        decision="refused",
        reason="role_not_permitted",
    ),
    Case(
        "gate_check",
        lambda s: gate_check(actor=SUPPORT, purpose="administration", subject=s.id),
        "gate.check",
        SUPPORT.label,
        purpose="administration",
        fields=["city", "email", "gender", "house_number", "name", "phone", "postcode", "street"],
        decision="allowed",
    ),
    Case(
        "gate_check_role_refused",
        lambda s: gate_check(actor=SUPPORT, purpose="invoicing", subject=s.id),
        "gate.check",
        SUPPORT.label,
        purpose="invoicing",
        decision="refused",
        reason="role_not_permitted",
    ),
    Case(
        "gate_select",
        lambda s: gate_subjects(
            actor=MARKETING, purpose="newsletter", queryset=Subject.objects.all()
        ),
        "gate.select",
        MARKETING.label,
        purpose="newsletter",
        decision="allowed",
        on_subject=False,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_change_and_decision_writes_one_entry(case):
    subject = pro_customer()
    case.prepare(subject)
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    case.run(subject)
    (entry,) = AuditEntry.objects.filter(id__gt=last)
    assert entry.action == case.action
    assert entry.actor == case.actor
    assert entry.subject_id == (subject.id if case.on_subject else None)
    assert entry.purpose == case.purpose
    assert entry.fields == sorted(case.fields)
    assert (entry.decision, entry.reason) == (case.decision, case.reason)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_when_the_audit_entry_cannot_be_written_nothing_happens(case):
    subject = pro_customer()
    case.prepare(subject)
    before = _snapshot(subject)
    entries = AuditEntry.objects.count()
    result: list[Any] = []
    with (
        audit_inserts_fail(),
        pytest.raises(DatabaseError, match="audit log unavailable"),
        transaction.atomic(),
    ):
        result.append(case.run(subject))
    assert result == []  # in particular, no values leave the gate unaudited
    assert _snapshot(subject) == before
    assert AuditEntry.objects.count() == entries


def test_subject_create_writes_its_entry_with_the_field_names_only():
    subject = pro_customer()
    entry = AuditEntry.objects.get(subject_id=subject.id)
    assert (entry.action, entry.actor, entry.fields) == ("subject.create", SIGNUP.label, ALL_FIELDS)
    assert entry.detail == {"product": "aplanner-pro"}


def test_subject_create_with_acceptance_audits_both_or_neither():
    digest = policy_current().digest
    subject = subject_create(
        actor=SIGNUP, product="aplanner-pro", fields=pro_fields(), accepted_policy_version=digest
    )
    actions = list(
        AuditEntry.objects.filter(subject_id=subject.id).values_list("action", flat=True)
    )
    assert actions == ["subject.create", "policy.accept"]
    with audit_inserts_fail(), pytest.raises(DatabaseError):
        subject_create(actor=SIGNUP, product="aplanner-pro", fields=pro_fields())
    assert Subject.objects.count() == 1


@pytest.mark.parametrize(
    ("attempt", "error"),
    [
        (
            lambda s: subject_update(actor=OFFICER, subject_id=s.id, fields={"iban": "NL00"}),
            InvalidFields,
        ),
        (
            lambda s: subject_update(actor=SUPPORT, subject_id=uuid.uuid4(), fields={"city": "X"}),
            VaultError,
        ),
        (
            lambda s: policy_accept(actor=SIGNUP, subject_id=s.id, digest="0" * 64, how="web"),
            InvalidFields,
        ),
        (
            lambda s: consent_confirm(
                actor=SIGNUP, subject_id=s.id, purpose="newsletter", code="no-such-code"
            ),
            VaultError,
        ),
        (lambda s: object_to(s, "administration"), VaultError),
        (lambda s: grant(s, "security"), VaultError),
    ],
    ids=["bad_iban", "unknown_subject", "unknown_version", "nothing_pending", "contract", "li"],
)
def test_a_change_that_fails_leaves_no_entry_and_no_trace(attempt, error):
    subject = pro_customer()
    before = _snapshot(subject)
    entries = AuditEntry.objects.count()
    with pytest.raises(error):
        attempt(subject)
    assert AuditEntry.objects.count() == entries
    assert _snapshot(subject) == before


def test_changes_on_an_erased_subject_are_refused_without_an_entry():
    subject = pro_customer()
    subject_erase(actor=OFFICER, subject_id=subject.id, reason="request")
    entries = AuditEntry.objects.count()
    for attempt in (
        lambda: subject_update(actor=SUPPORT, subject_id=subject.id, fields={"city": "Ede"}),
        lambda: grant(subject, "newsletter"),
        lambda: subject_restrict(actor=OFFICER, subject_id=subject.id, reason="x"),
        lambda: subject_erase(actor=OFFICER, subject_id=subject.id, reason="again"),
    ):
        with pytest.raises(VaultError) as refused:
            attempt()
        assert refused.value.code == "erased"
    assert AuditEntry.objects.count() == entries


def test_an_enclosing_transaction_that_fails_takes_the_entry_with_it():
    subject = pro_customer()
    entries = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        subject_update(actor=SUPPORT, subject_id=subject.id, fields={"city": "Zwolle"})
        raise RuntimeError("the caller's next step failed")
    assert AuditEntry.objects.count() == entries
    seen = gate_fields(actor=SUPPORT, purpose="administration", subject=subject)
    assert isinstance(seen, Allowed)
    assert seen.fields["city"] == "Amsterdam"


def test_a_refused_read_names_the_subject_that_was_asked_for():
    """Probing is visible: the entry says which subject was asked about, even when the actor's
    role already rules the purpose out."""
    subject = pro_customer()
    for decide in (gate_fields, gate_check):
        decide(actor=MARKETING, purpose="invoicing", subject=subject.id)
        entry = AuditEntry.objects.latest("id")
        assert (entry.subject_id, entry.reason) == (subject.id, "role_not_permitted")
    missing = uuid.uuid4()
    assert gate_fields(actor=SUPPORT, purpose="administration", subject=missing) == Refused(
        "not_found"
    )
    assert AuditEntry.objects.latest("id").subject_id == missing
