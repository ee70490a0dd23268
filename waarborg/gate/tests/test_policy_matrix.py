"""The gate against the policy file: every role and API scope, every purpose, every category.

The expectations are computed here from the raw YAML, independently of the gate's own code.
"""

from __future__ import annotations

import pytest

from waarborg.conftest import cms_policy_data, en, nl, staff, system
from waarborg.gate.services import Allowed, Refused, gate_check, gate_fields
from waarborg.vault.tests.factories import CLEAN, grant, pro_customer

pytestmark = pytest.mark.django_db

POLICY = cms_policy_data()
ROLES = sorted(POLICY["roles"])
PURPOSES = sorted(POLICY["purposes"])
CATEGORIES = sorted(POLICY["categories"])
FIELDS = POLICY["fields"]


def _covers(rule: str, category: str) -> bool:
    return category == rule or category.startswith(f"{rule}.")


def expected_fields(purpose: str) -> set[str]:
    rules = POLICY["purposes"][purpose]["categories"]
    return {f for f, spec in FIELDS.items() if any(_covers(r, spec["category"]) for r in rules)}


def _subject_for(purpose: str):
    """A paid customer with every field filled in and consent given where the purpose needs it."""
    subject = pro_customer()
    if POLICY["purposes"][purpose]["basis"] == "consent":
        grant(subject, purpose)
    return subject


def _assert_categories(purpose: str, seen: dict[str, str]) -> None:
    rules = POLICY["purposes"][purpose]["categories"]
    for category in CATEGORIES:
        in_category = {f for f, spec in FIELDS.items() if spec["category"] == category}
        if any(_covers(rule, category) for rule in rules):
            assert in_category <= set(seen), f"{purpose} must see {category}"
        else:
            assert not in_category & set(seen), f"{purpose} must not see {category}"
    assert set(seen) == expected_fields(purpose)
    for field, value in seen.items():
        expected = CLEAN[field] if field != "email" else value
        assert value == expected


def test_the_matrix_covers_the_whole_policy():
    assert len(ROLES) >= 7
    assert len(PURPOSES) >= 8
    assert set(FIELDS) == set(CLEAN)
    # Both outcomes occur, so the matrix can tell a too-open gate from a too-closed one.
    assert any(expected_fields(p) for p in PURPOSES)
    assert any(not expected_fields(p) for p in PURPOSES)


@pytest.mark.parametrize("purpose", PURPOSES)
@pytest.mark.parametrize("role", ROLES)
def test_staff_role_sees_exactly_what_the_policy_allows(role, purpose):
    subject = _subject_for(purpose)
    result = gate_fields(actor=staff(role), purpose=purpose, subject=subject.id)
    if purpose in POLICY["roles"][role]["purposes"] and POLICY["purposes"][purpose].get(
        "aggregate_only"
    ):
        assert result == Refused("aggregate_only")
    elif purpose in POLICY["roles"][role]["purposes"]:
        assert isinstance(result, Allowed), result
        assert result.purpose == purpose
        _assert_categories(purpose, result.fields)
    else:
        assert result == Refused("role_not_permitted")
        assert isinstance(result, Refused)
        assert nl(result.message) != en(result.message)


@pytest.mark.parametrize("purpose", PURPOSES)
def test_api_system_sees_exactly_what_its_scope_allows(purpose):
    subject = _subject_for(purpose)
    result = gate_fields(actor=system(purpose), purpose=purpose, subject=subject.id)
    check = gate_check(actor=system(purpose), purpose=purpose, subject=subject.id)
    if POLICY["purposes"][purpose].get("aggregate_only"):
        assert result == Refused("aggregate_only")
        assert (check.allowed, check.fields, check.reason) == (False, [], "aggregate_only")
        return
    if POLICY["purposes"][purpose].get("data_subject_requests"):
        # A token holds it to file requests; only the job carrying one out reads under it.
        assert result == Refused("requests_only")
        assert (check.allowed, check.fields, check.reason) == (False, [], "requests_only")
        return
    assert isinstance(result, Allowed), result
    _assert_categories(purpose, result.fields)
    assert check.allowed
    assert set(check.fields) == expected_fields(purpose)


@pytest.mark.parametrize("purpose", PURPOSES)
def test_api_system_outside_its_scope_is_refused(purpose):
    subject = _subject_for(purpose)
    others = system(*(p for p in PURPOSES if p != purpose))
    assert gate_fields(actor=others, purpose=purpose, subject=subject.id) == Refused(
        "scope_not_permitted"
    )
    check = gate_check(actor=others, purpose=purpose, subject=subject)
    assert (check.allowed, check.fields, check.reason) == (False, [], "scope_not_permitted")


@pytest.mark.parametrize(
    "actor", [staff("admin"), staff("privacy_officer"), system(*PURPOSES)], ids=str
)
def test_a_purpose_not_in_the_policy_is_unknown(actor):
    subject = _subject_for("administration")
    result = gate_fields(actor=actor, purpose="profiling", subject=subject.id)
    assert result == Refused("unknown_purpose")
    assert isinstance(result, Refused)
    assert "profiling" not in POLICY["purposes"]
    assert en(result.message) == "This purpose does not exist in the policy."


def test_fields_a_subject_never_gave_are_simply_absent():
    from waarborg.vault.tests.factories import free_customer

    subject = free_customer()
    result = gate_fields(actor=staff("support"), purpose="administration", subject=subject)
    assert isinstance(result, Allowed)
    assert set(result.fields) == {"name", "email"}
    assert result.fields["name"] == "Bram Jansen"


def test_a_purpose_for_another_kind_of_subject_is_not_applicable():
    from waarborg.vault.tests.factories import free_customer

    subscriber = free_customer(kind="newsletter_subscriber")
    result = gate_fields(actor=staff("support"), purpose="administration", subject=subscriber.id)
    assert result == Refused("not_applicable")
