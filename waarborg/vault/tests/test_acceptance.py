"""C1: who accepted which version of the statement, when and how; who must be asked again."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from waarborg.policy.selectors import policy_current
from waarborg.policy.services import policy_version_record
from waarborg.vault.models import Subject
from waarborg.vault.selectors import acceptances_of, subjects_with_outdated_acceptance
from waarborg.vault.services import policy_accept, subject_create, subject_erase
from waarborg.vault.tests.factories import OFFICER, SIGNUP, pro_customer, pro_fields
from waarborg.vault.validation import InvalidFields

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def _retitle(data):
    data["title"]["en"] = "Privacy statement (revised)"


def test_acceptance_records_the_version_when_and_how():
    digest = policy_current().digest
    with time_machine.travel(T0, tick=False):
        subject = subject_create(
            actor=SIGNUP,
            product="aplanner-pro",
            fields=pro_fields(),
            accepted_policy_version=digest,
        )
    (acceptance,) = acceptances_of(subject_id=subject.id)
    assert (acceptance.policy_digest, acceptance.accepted_at, acceptance.how) == (digest, T0, "api")
    assert acceptance.source == SIGNUP.label


def test_a_version_that_never_existed_cannot_be_accepted():
    subject = pro_customer()
    with pytest.raises(InvalidFields) as bad:
        policy_accept(actor=SIGNUP, subject_id=subject.id, digest="f" * 64, how="web")
    assert set(bad.value.errors) == {"version"}  # the field the re-acceptance asks for
    assert acceptances_of(subject_id=subject.id) == []
    with pytest.raises(InvalidFields):
        subject_create(
            actor=SIGNUP, product="aplanner-pro", fields=pro_fields(), accepted_policy_version="f"
        )
    assert Subject.objects.count() == 1


def test_subjects_who_accepted_an_older_version_are_reported(edited_policy):
    old = policy_current()
    policy_version_record(loaded=old)
    accepted, never, gone = pro_customer(), pro_customer(), pro_customer()
    for subject in (accepted, gone):
        policy_accept(actor=SIGNUP, subject_id=subject.id, digest=old.digest, how="web")
    subject_erase(actor=OFFICER, subject_id=gone.id, reason="request")
    assert list(subjects_with_outdated_acceptance()) == []

    edited_policy(_retitle)
    new = policy_current()
    assert new.digest != old.digest
    outdated = [(s.id, s.accepted_digest) for s in subjects_with_outdated_acceptance()]
    assert outdated == [(accepted.id, old.digest)]
    assert never.id not in {subject_id for subject_id, _ in outdated}

    # Accepting the new version answers the question; the history keeps both.
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=1)):
        policy_accept(actor=SIGNUP, subject_id=accepted.id, digest=new.digest, how="email")
    assert list(subjects_with_outdated_acceptance()) == []
    history = acceptances_of(subject_id=accepted.id)
    assert [(a.policy_digest, a.how) for a in history] == [
        (new.digest, "email"),
        (old.digest, "web"),
    ]
    # An older version on file may still be accepted (a form that was open during the change),
    # and then the subject is outdated again.
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=2)):
        policy_accept(actor=SIGNUP, subject_id=accepted.id, digest=old.digest, how="web")
    assert [s.id for s in subjects_with_outdated_acceptance()] == [accepted.id]


@pytest.mark.parametrize("size", [5, 60])
def test_the_outdated_report_is_one_query(size, django_assert_num_queries):
    digest = policy_current().digest
    for _ in range(size):
        policy_accept(actor=SIGNUP, subject_id=pro_customer().id, digest=digest, how="web")
    with django_assert_num_queries(1):
        assert len(list(subjects_with_outdated_acceptance(digest="e" * 64))) == size
