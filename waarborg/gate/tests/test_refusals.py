"""Why the gate says no: consent, objection, restriction and erasure, for one subject and for a
whole queryset, and the fixed number of queries a queryset costs."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import pytest
from django.db.models import QuerySet

from waarborg.conftest import en, nl, staff, system
from waarborg.core.actors import Actor
from waarborg.gate.services import Allowed, Refused, gate_check, gate_fields, gate_subjects
from waarborg.policy.selectors import policy_current
from waarborg.vault.bulk import subjects_bulk_create
from waarborg.vault.ledger import grounds_record
from waarborg.vault.models import PurposeState, Subject
from waarborg.vault.services import (
    VaultError,
    subject_erase,
    subject_lift_restriction,
    subject_restrict,
)
from waarborg.vault.tests.factories import (
    OFFICER,
    SIGNUP,
    free_customer,
    free_fields,
    grant,
    grant_by_email,
    object_to,
    override,
    pro_customer,
    withdraw,
)

pytestmark = pytest.mark.django_db

MARKETING = staff("marketing")
SECURITY = staff("security")
SUPPORT = staff("support")


def _restrict(subject: Subject) -> None:
    subject_restrict(actor=OFFICER, subject_id=subject.id, reason="accuracy contested")


def _erase(subject: Subject) -> None:
    subject_erase(actor=OFFICER, subject_id=subject.id, reason="erasure request R-1")


def _then(*steps: Callable[[Subject], None]) -> Callable[[Subject], None]:
    def run(subject: Subject) -> None:
        for step in steps:
            step(subject)

    return run


def audience(actor: Actor, purpose: str, queryset: QuerySet[Subject]) -> QuerySet[Subject]:
    narrowed = gate_subjects(actor=actor, purpose=purpose, queryset=queryset)
    assert not isinstance(narrowed, Refused), narrowed
    return narrowed


# (name, purpose, actor, how the subject got there, reason the gate gives)
CASES: list[tuple[str, str, Actor, Callable[[Subject], object], str]] = [
    ("never_asked", "newsletter", MARKETING, lambda s: None, "no_consent"),
    (
        "email_unconfirmed",
        "newsletter",
        MARKETING,
        lambda s: grant_by_email(s, "newsletter", confirm=False),
        "no_consent",
    ),
    (
        "withdrawn",
        "offers",
        MARKETING,
        _then(lambda s: grant(s, "offers"), lambda s: withdraw(s, "offers")),
        "no_consent",
    ),
    (
        "objected_newsletter",
        "newsletter",
        MARKETING,
        _then(lambda s: grant(s, "newsletter"), lambda s: object_to(s, "newsletter")),
        "objected",
    ),
    (
        "objected_offers",
        "offers",
        MARKETING,
        _then(lambda s: grant(s, "offers"), lambda s: object_to(s, "offers")),
        "objected",
    ),
    ("objected_security", "security", SECURITY, lambda s: object_to(s, "security"), "objected"),
    ("restricted", "administration", SUPPORT, _restrict, "restricted"),
    (
        "restricted_with_consent",
        "newsletter",
        MARKETING,
        _then(lambda s: grant(s, "newsletter"), lambda s: _restrict(s)),
        "restricted",
    ),
    ("erased", "administration", SUPPORT, _erase, "erased"),
    (
        "erased_with_consent",
        "newsletter",
        MARKETING,
        _then(lambda s: grant(s, "newsletter"), lambda s: _erase(s)),
        "erased",
    ),
]


@pytest.mark.parametrize(
    ("purpose", "actor", "setup", "reason"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_gate_refuses_one_subject_with_the_matching_reason(purpose, actor, setup, reason):
    subject = pro_customer()
    setup(subject)
    result = gate_fields(actor=actor, purpose=purpose, subject=subject.id)
    assert result == Refused(reason)
    assert isinstance(result, Refused)
    assert nl(result.message) and nl(result.message) != en(result.message)
    decision = gate_check(actor=actor, purpose=purpose, subject=subject.id)
    assert (decision.allowed, decision.reason, decision.fields) == (False, reason, [])


@pytest.mark.parametrize(
    ("purpose", "actor", "setup", "reason"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_gate_subjects_leaves_out_a_refused_subject(purpose, actor, setup, reason):
    refused = pro_customer()
    setup(refused)
    fine = pro_customer()
    if purpose in ("newsletter", "offers"):
        grant(fine, purpose)
    narrowed = audience(actor, purpose, Subject.objects.all())
    assert set(narrowed.values_list("id", flat=True)) == {fine.id}


def test_confirmed_email_consent_opens_the_gate():
    subject = pro_customer()
    grant_by_email(subject, "newsletter", confirm=True)
    result = gate_fields(actor=MARKETING, purpose="newsletter", subject=subject.id)
    assert isinstance(result, Allowed)
    assert set(result.fields) == {"name", "email", "phone"}


def test_consent_for_one_purpose_does_not_open_another():
    subject = pro_customer()
    grant(subject, "newsletter")
    assert isinstance(gate_fields(actor=MARKETING, purpose="newsletter", subject=subject), Allowed)
    assert gate_fields(actor=MARKETING, purpose="offers", subject=subject) == Refused("no_consent")


def test_objection_to_direct_marketing_is_absolute():
    subject = pro_customer()
    grant(subject, "newsletter")
    object_to(subject, "newsletter")
    with pytest.raises(VaultError) as refused:
        grounds_record(
            actor=OFFICER, subject_id=subject.id, purpose="newsletter", grounds="we want to"
        )
    assert refused.value.code == "grounds_not_applicable"
    assert gate_fields(actor=MARKETING, purpose="newsletter", subject=subject) == Refused(
        "objected"
    )
    state = PurposeState.objects.get(subject=subject, purpose="newsletter")
    assert (state.objected, state.consent) == (True, PurposeState.Consent.WITHDRAWN)


def test_objection_to_legitimate_interest_holds_until_a_privacy_officer_records_grounds():
    subject = pro_customer()
    other = pro_customer()
    object_to(subject, "security")
    with pytest.raises(VaultError) as refused:
        grounds_record(
            actor=SECURITY, subject_id=subject.id, purpose="security", grounds="fraud case"
        )
    assert refused.value.code == "role_not_permitted"
    assert gate_fields(actor=SECURITY, purpose="security", subject=subject) == Refused("objected")

    override(subject, "security")
    result = gate_fields(actor=SECURITY, purpose="security", subject=subject)
    assert isinstance(result, Allowed)
    assert set(result.fields) == {"name", "email"}
    narrowed = audience(SECURITY, "security", Subject.objects.all())
    assert set(narrowed.values_list("id", flat=True)) == {subject.id, other.id}

    object_to(subject, "security")  # a new objection sets the grounds aside again
    assert gate_fields(actor=SECURITY, purpose="security", subject=subject) == Refused("objected")


def test_lifting_a_restriction_opens_the_gate_again():
    subject = pro_customer()
    _restrict(subject)
    assert gate_fields(actor=SUPPORT, purpose="administration", subject=subject) == Refused(
        "restricted"
    )
    subject_lift_restriction(actor=OFFICER, subject_id=subject.id, reason="accuracy confirmed")
    assert isinstance(
        gate_fields(actor=SUPPORT, purpose="administration", subject=subject), Allowed
    )


def test_an_unknown_subject_is_refused_not_found():
    import uuid

    result = gate_fields(actor=SUPPORT, purpose="administration", subject=uuid.uuid4())
    assert result == Refused("not_found")


@pytest.mark.parametrize(
    ("actor", "purpose", "reason"),
    [
        (SUPPORT, "newsletter", "role_not_permitted"),
        (system("administration"), "newsletter", "scope_not_permitted"),
        (MARKETING, "mailing", "unknown_purpose"),
    ],
)
def test_gate_subjects_refuses_an_actor_without_the_purpose(actor, purpose, reason):
    grant(pro_customer(), "newsletter")
    assert gate_subjects(actor=actor, purpose=purpose, queryset=Subject.objects.all()) == Refused(
        reason
    )


def test_gate_subjects_keeps_the_callers_own_filter():
    paid, free = pro_customer(), free_customer()
    for subject in (paid, free):
        grant(subject, "newsletter")
    narrowed = audience(MARKETING, "newsletter", Subject.objects.filter(product="aplanner-pro"))
    assert list(narrowed.values_list("id", flat=True)) == [paid.id]


def _population(size: int) -> tuple[list[Subject], set[UUID]]:
    """``size`` newsletter candidates: a fifth consented and untouched, the rest refused for
    one of the reasons the gate knows."""
    items = [
        ("aplanner-free", free_fields(), ["newsletter"] if i % 5 != 1 else []) for i in range(size)
    ]
    digest = policy_current().digest
    subjects_bulk_create(actor=SIGNUP, items=items, accepted_policy_version=digest)
    subjects = list(Subject.objects.order_by("created_at", "id"))
    expected: set[UUID] = set()
    for i, subject in enumerate(subjects):
        match i % 5:
            case 0:
                expected.add(subject.id)
            case 1:
                pass  # never consented
            case 2 if i % 2:
                withdraw(subject, "newsletter")
            case 2:
                object_to(subject, "newsletter")
            case 3:
                _restrict(subject)
            case 4:
                _erase(subject)
    return subjects, expected


@pytest.mark.parametrize("size", [10, 200])
def test_gate_subjects_costs_the_same_queries_whatever_the_size(size, django_assert_num_queries):
    subjects, expected = _population(size)
    assert len(subjects) == size
    assert len(expected) == size // 5
    # One INSERT for the audit entry, one SELECT for the audience: no query per subject.
    with django_assert_num_queries(2):
        narrowed = audience(MARKETING, "newsletter", Subject.objects.all())
        ids = list(narrowed.values_list("id", flat=True))
    assert set(ids) == expected


def test_who_may_record_grounds_is_the_policy_s_decision(edited_policy):
    subject = pro_customer()
    object_to(subject, "security")

    def move_the_duty(data):
        data["roles"]["privacy_officer"]["decides_objections"] = False
        data["roles"]["security"]["decides_objections"] = True

    edited_policy(move_the_duty)
    with pytest.raises(VaultError) as refused:
        override(subject, "security")  # by the privacy officer
    assert refused.value.code == "role_not_permitted"
    grounds_record(actor=SECURITY, subject_id=subject.id, purpose="security", grounds="fraud case")
    assert isinstance(gate_fields(actor=SECURITY, purpose="security", subject=subject), Allowed)
