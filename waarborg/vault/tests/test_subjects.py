"""Writing the vault: subjects, their consent ledger, restriction, and bulk loading."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from waarborg.audit.models import AuditEntry
from waarborg.conftest import en, nl, staff
from waarborg.gate.services import Allowed, Refused, gate_fields
from waarborg.policy.selectors import policy_current
from waarborg.vault.bulk import subjects_bulk_create
from waarborg.vault.index import email_index
from waarborg.vault.ledger import consent_record
from waarborg.vault.models import Acceptance, PurposeEvent, PurposeState, Subject
from waarborg.vault.services import VaultError, subject_restrict, subject_update
from waarborg.vault.tests.factories import (
    OFFICER,
    SIGNUP,
    free_customer,
    free_fields,
    grant,
    grant_by_email,
    pro_customer,
    pro_fields,
    withdraw,
)
from waarborg.vault.validation import InvalidFields

pytestmark = pytest.mark.django_db

SUPPORT = staff("support")
T0 = dt.datetime(2026, 5, 4, 8, 15, tzinfo=dt.UTC)


def _read(subject: Subject) -> dict[str, str]:
    result = gate_fields(actor=SUPPORT, purpose="administration", subject=subject.id)
    assert isinstance(result, Allowed)
    return result.fields


def test_each_value_is_its_own_ciphertext_bound_to_subject_and_field():
    a, b = pro_customer(), pro_customer()
    ra, rb = Subject.objects.get(id=a.id), Subject.objects.get(id=b.id)
    assert set(ra.values) == set(pro_fields())
    # Same plaintext (both live in Amsterdam), different ciphertexts: fresh nonce, own key.
    assert ra.values["city"] != rb.values["city"]
    assert ra.wrapped_dek != rb.wrapped_dek
    # A ciphertext moved to another field of the same subject does not open (field in the AAD).
    Subject.objects.filter(id=a.id).update(values={**ra.values, "city": ra.values["street"]})
    moved = gate_fields(actor=SUPPORT, purpose="administration", subject=a.id)
    assert moved == Refused("integrity_error")


def test_update_changes_values_and_the_blind_index():
    subject = pro_customer(email="oud@example.nl")
    subject_update(
        actor=SUPPORT,
        subject_id=subject.id,
        fields={"email": "Nieuw@Example.nl", "phone": None, "city": "Haarlem"},
    )
    seen = _read(subject)
    assert (seen["email"], seen["city"]) == ("Nieuw@example.nl", "Haarlem")
    assert "phone" not in seen
    row = Subject.objects.get(id=subject.id)
    assert row.email_index == email_index("nieuw@example.nl")
    assert not Subject.objects.filter(email_index=email_index("oud@example.nl")).exists()


def test_a_restricted_subject_is_kept_but_not_changed():
    subject = pro_customer()
    subject_restrict(actor=OFFICER, subject_id=subject.id, reason="accuracy contested")
    with pytest.raises(VaultError) as refused:
        subject_update(actor=SUPPORT, subject_id=subject.id, fields={"city": "Ede"})
    assert refused.value.code == "restricted"
    assert nl(refused.value.message) != en(refused.value.message)
    assert Subject.objects.get(id=subject.id).values.keys() == set(pro_fields())


def test_consent_is_recorded_with_its_proof():
    subject = free_customer()
    with time_machine.travel(T0, tick=False):
        grant(subject, "newsletter", channel="phone")
    (event,) = PurposeEvent.objects.filter(subject=subject, kind=PurposeEvent.Kind.CONSENT_GIVEN)
    assert (event.kind, event.purpose, event.at, event.channel) == (
        PurposeEvent.Kind.CONSENT_GIVEN,
        "newsletter",
        T0,
        "phone",
    )
    assert (event.text_version, event.source, event.policy_digest) == (
        "consent-text-3",
        SIGNUP.label,
        policy_current().digest,
    )
    state = PurposeState.objects.get(subject=subject, purpose="newsletter")
    assert state.consent == PurposeState.Consent.GRANTED


def test_email_consent_waits_for_confirmation_and_withdrawal_is_one_step():
    subject = free_customer()
    grant_by_email(subject, "offers", confirm=False)
    assert PurposeState.objects.get(subject=subject).consent == PurposeState.Consent.PENDING
    withdraw(subject, "offers")  # also before confirming
    assert PurposeState.objects.get(subject=subject).consent == PurposeState.Consent.WITHDRAWN
    kinds = list(PurposeEvent.objects.filter(subject=subject).values_list("kind", flat=True))
    assert kinds == ["consent_given", "consent_withdrawn"]


@pytest.mark.parametrize(
    ("purpose", "channel", "code"),
    [
        ("marketing", "web", "unknown_purpose"),
        ("administration", "web", "not_consent_purpose"),
        ("newsletter", "post", "bad_channel"),
    ],
)
def test_consent_that_cannot_be_given_is_refused_plainly(purpose, channel, code):
    subject = free_customer()
    entries = AuditEntry.objects.count()
    with pytest.raises(VaultError) as refused:
        consent_record(
            actor=SIGNUP,
            subject_id=subject.id,
            purpose=purpose,
            granted=True,
            text_version="v1",
            channel=channel,
        )
    assert refused.value.code == code
    assert not PurposeEvent.objects.exists()
    assert AuditEntry.objects.count() == entries


def test_bulk_create_encrypts_audits_and_records_consent_like_single_creation():
    digest = policy_current().digest
    items = [
        ("aplanner-free", free_fields(), ["newsletter"]),
        ("aplanner-pro", pro_fields(), ["newsletter", "offers"]),
        ("aplanner-free", free_fields(), []),
    ]
    assert subjects_bulk_create(actor=SIGNUP, items=items, accepted_policy_version=digest) == 3
    subjects = list(Subject.objects.order_by("created_at", "id"))
    assert len(subjects) == 3
    assert all(s.wrapped_dek for s in subjects)
    assert Acceptance.objects.filter(policy_digest=digest).count() == 3
    granted = PurposeState.objects.filter(consent=PurposeState.Consent.GRANTED).count()
    assert granted == 3
    actions = sorted(AuditEntry.objects.values_list("action", flat=True))
    assert actions == ["consent.grant"] * 3 + ["policy.accept"] * 3 + ["subject.create"] * 3
    created = AuditEntry.objects.filter(action="subject.create", subject_id=subjects[1].id).get()
    assert created.detail == {"product": "aplanner-pro"}
    assert created.fields == sorted(pro_fields())
    assert {_read(s)["name"] for s in subjects} == {"Bram Jansen", "Annelies de Vries"}


def test_bulk_create_rejects_the_whole_batch_on_one_bad_item():
    items = [
        ("aplanner-free", free_fields(), ["newsletter"]),
        ("aplanner-free", free_fields(iban="NL91ABNA0417164300"), []),
    ]
    with pytest.raises(InvalidFields):
        subjects_bulk_create(
            actor=SIGNUP, items=items, accepted_policy_version=policy_current().digest
        )
    assert not Subject.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("purpose", ["marketing", "administration"])
def test_bulk_create_refuses_consent_to_a_purpose_that_takes_none(purpose):
    items = [("aplanner-free", free_fields(), [purpose])]
    with pytest.raises(VaultError) as refused:
        subjects_bulk_create(
            actor=SIGNUP, items=items, accepted_policy_version=policy_current().digest
        )
    assert refused.value.code in ("unknown_purpose", "not_consent_purpose")
    assert not Subject.objects.exists()
    assert not PurposeState.objects.exists()


def test_bulk_create_refuses_a_statement_version_that_never_existed():
    items: list[tuple[str, dict[str, object], list[str]]] = [("aplanner-free", free_fields(), [])]
    with pytest.raises(InvalidFields) as bad:
        subjects_bulk_create(actor=SIGNUP, items=items, accepted_policy_version="0" * 64)
    assert set(bad.value.errors) == {"accepted_policy_version"}
    assert not Subject.objects.exists()


def test_consent_given_again_keeps_a_confirmed_consent_in_force():
    from waarborg.vault.ledger import consent_record
    from waarborg.vault.models import PurposeState
    from waarborg.vault.tests.factories import grant

    subject = pro_customer()
    grant(subject, "newsletter")  # given and confirmed
    again = consent_record(
        actor=SIGNUP,
        subject_id=subject.id,
        purpose="newsletter",
        granted=True,
        text_version="consent-text-3",
        channel="web",
    )
    assert again.consent == PurposeState.Consent.GRANTED and again.confirmation_code == ""
    kinds = list(subject.events.values_list("kind", flat=True))
    assert kinds == ["consent_given", "consent_confirmed", "consent_given"]  # the proof is kept
