"""The gate's two forms of each refusal rule (one subject, a set of subjects) agree on every
combination of states a subject can be in, for every purpose of the policy."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from waarborg.conftest import system
from waarborg.core.actors import Actor
from waarborg.gate.fetch import subject_with_state
from waarborg.gate.rules import subject_refusal
from waarborg.gate.services import gate_subjects
from waarborg.policy.selectors import policy_current
from waarborg.vault.models import PurposeState, Subject
from waarborg.vault.services import subject_build

pytestmark = pytest.mark.django_db

CONSENTS = [c.value for c in PurposeState.Consent]
PAID = {"street": "Markt", "house_number": "1", "postcode": "1234 AB", "city": "Ede"}
PRODUCTS = {
    "aplanner-free": {"name": "A"},
    "aplanner-pro": {"name": "A", **PAID, "iban": "NL91ABNA0417164300"},
}
# None: no state row for the purpose at all.
STATES = [None, *itertools.product(CONSENTS, [False, True], ["", "enc:grounds"])]


def _population() -> list[Subject]:
    policy = policy_current().policy
    kinds = sorted(policy.subject_kinds)
    now = timezone.now()
    subjects, states = [], []
    combos = itertools.product([False, True], [False, True], kinds, PRODUCTS, STATES)
    for n, (erased, restricted, kind, product, state) in enumerate(combos):
        fields = {**PRODUCTS[product], "email": f"a{n}@example.nl"}
        subject = subject_build(product=product, fields=fields)
        subject.kind = kind
        subject.erased_at = now if erased else None
        subject.restricted_at = now if restricted else None
        subjects.append(subject)
        if state is not None:
            consent, objected, grounds = state
            states += [
                PurposeState(
                    subject=subject,
                    purpose=p,
                    consent=consent,
                    objected=objected,
                    compelling_grounds=grounds,
                    updated_at=now,
                )
                for p in policy.purposes
            ]
    Subject.objects.bulk_create(subjects)
    PurposeState.objects.bulk_create(states)
    return subjects


def test_one_subject_and_a_set_of_subjects_are_refused_alike():
    policy = policy_current().policy
    subjects = _population()
    answers: dict[str, set[bool]] = {}
    for purpose, spec in policy.purposes.items():
        # The purpose that answers requests is read only by the job carrying one out.
        actor = Actor.job("test") if spec.data_subject_requests else system(*policy.purposes)
        selected = gate_subjects(actor=actor, purpose=purpose, queryset=Subject.objects.all())
        assert not isinstance(selected, Subject)
        kept = set(selected.values_list("id", flat=True))  # type: ignore[union-attr]
        for subject in subjects:
            row = subject_with_state(subject.id, purpose)
            assert row is not None
            allowed = subject_refusal(spec, *row) == ""
            assert allowed == (subject.id in kept), (purpose, subject.kind, row[1])
            answers.setdefault(purpose, set()).add(allowed)
    # Every purpose saw both answers: the comparison is not empty on either side.
    assert answers == {p: {True, False} for p in policy.purposes}
