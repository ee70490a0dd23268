"""Erasure is crypto-shredding: once the data key is gone, the ciphertext is noise, even to
someone holding the database and the key-encryption key."""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from waarborg.conftest import staff
from waarborg.gate.services import Allowed, Refused, gate_check, gate_fields, gate_subjects
from waarborg.vault import keys
from waarborg.vault.envelope import value_aad
from waarborg.vault.index import email_index
from waarborg.vault.models import Subject, VaultKey
from waarborg.vault.services import subject_erase
from waarborg.vault.tests.factories import OFFICER, grant, key_bytes, pro_customer

pytestmark = pytest.mark.django_db

SUPPORT = staff("support")


def _decrypt_from_database(subject_id: str, field: str, token: str) -> str | None:
    """What an attacker with the database and the KEK can do: try every wrapped key stored
    anywhere in the vault on the captured ciphertext. Returns the plaintext if any key opens it."""
    kek = keys.keyring().current
    raw = base64.b64decode(token)
    aad = value_aad(subject_id, field)
    candidates = [
        (key_bytes(row.wrapped_dek), keys.dek_aad(str(row.id)))
        for row in Subject.objects.exclude(wrapped_dek=None)
    ] + [(bytes(row.wrapped), f"vaultkey:{row.name}".encode()) for row in VaultKey.objects.all()]
    for wrapped, wrap_aad in candidates:
        try:
            dek = keys.unwrap(kek, wrapped, aad=wrap_aad)
            return AESGCM(dek).decrypt(raw[: keys.NONCE], raw[keys.NONCE :], aad).decode()
        except InvalidTag:
            continue
    return None


def test_after_erasure_the_data_cannot_be_decrypted_even_with_the_kek():
    subject = pro_customer(name="Erik Wisman")
    bystander = pro_customer()
    row = Subject.objects.get(id=subject.id)
    captured = dict(row.values)  # e.g. from an old backup or a log of the column
    wrapped_before = key_bytes(row.wrapped_dek)
    assert _decrypt_from_database(str(subject.id), "name", captured["name"]) == "Erik Wisman"

    subject_erase(actor=OFFICER, subject_id=subject.id, reason="erasure request R-12")

    row.refresh_from_db()
    assert row.wrapped_dek is None
    assert row.values == {}
    assert row.erased_at is not None
    for field, token in captured.items():
        assert _decrypt_from_database(str(subject.id), field, token) is None
    # With the wrapped key captured before erasure it would still open: the key is what's gone.
    dek = keys.unwrap(keys.keyring().current, wrapped_before, aad=keys.dek_aad(str(subject.id)))
    raw = base64.b64decode(captured["name"])
    opened = AESGCM(dek).decrypt(raw[:12], raw[12:], value_aad(str(subject.id), "name"))
    assert opened == b"Erik Wisman"
    # Other subjects are untouched.
    assert isinstance(
        gate_fields(actor=SUPPORT, purpose="administration", subject=bystander), Allowed
    )


def test_after_erasure_the_gate_says_erased_for_every_purpose_and_every_audience():
    subject = pro_customer()
    grant(subject, "newsletter")
    subject_erase(actor=OFFICER, subject_id=subject.id, reason="request")
    assert gate_fields(actor=SUPPORT, purpose="administration", subject=subject.id) == Refused(
        "erased"
    )
    assert gate_check(actor=staff("billing"), purpose="invoicing", subject=subject.id).reason == (
        "erased"
    )
    audience = gate_subjects(
        actor=staff("marketing"), purpose="newsletter", queryset=Subject.objects.all()
    )
    assert not isinstance(audience, Refused)
    assert list(audience) == []


def test_after_erasure_the_blind_index_no_longer_finds_the_address():
    subject = pro_customer(email="wis.mij@example.nl")
    digest = email_index("wis.mij@example.nl")
    assert list(Subject.objects.filter(email_index=digest).values_list("id", flat=True)) == [
        subject.id
    ]
    subject_erase(actor=OFFICER, subject_id=subject.id, reason="request")
    assert Subject.objects.get(id=subject.id).email_index is None
    assert not Subject.objects.filter(email_index=digest).exists()


def test_the_blind_index_matches_addresses_regardless_of_case_and_spaces():
    assert email_index(" Wis.Mij@Example.NL ") == email_index("wis.mij@example.nl")
    assert email_index("wis.mij@example.nl") != email_index("wis.mij@example.com")
    assert len(email_index("a@example.nl")) == 64
    assert "example" not in email_index("a@example.nl")


def test_free_text_about_a_person_is_encrypted_and_shredded_by_erasure():
    from waarborg.conftest import staff
    from waarborg.vault.ledger import grounds_record, objection_record
    from waarborg.vault.models import PurposeEvent, PurposeState
    from waarborg.vault.services import subject_erase

    officer = staff("privacy_officer")
    subject = pro_customer()
    objection_record(
        actor=officer, subject_id=subject.id, purpose="security", note="belde boos op over Jansen"
    )
    grounds_record(
        actor=officer,
        subject_id=subject.id,
        purpose="security",
        grounds="fraudeonderzoek dossier Jansen",
    )
    state = PurposeState.objects.get(subject=subject, purpose="security")
    notes = list(PurposeEvent.objects.filter(subject=subject).values_list("note", flat=True))
    stored = " ".join([state.compelling_grounds, *notes])
    assert "Jansen" not in stored
    assert state.compelling_grounds.startswith("enc:")
    subject_erase(actor=officer, subject_id=subject.id, reason="request")
    assert Subject.objects.get(id=subject.id).wrapped_dek is None  # the key that opened them
