"""The only place where personal values are decrypted. Nothing outside ``waarborg.gate`` imports it
(an import contract and an architecture test check)."""

from __future__ import annotations

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from waarborg.vault import keys
from waarborg.vault.envelope import NONCE, envelope_parse, note_parse, value_aad
from waarborg.vault.index import vault_key
from waarborg.vault.models import Subject
from waarborg.vault.sealed import SEALED_TEXT_KEY, sealed_aad


def open_values(subject: Subject, fields: list[str]) -> dict[str, str]:
    ring = keys.keyring()
    if subject.wrapped_dek is None:
        return {}
    dek = keys.unwrap(
        ring.get(subject.kek_id), bytes(subject.wrapped_dek), aad=keys.dek_aad(str(subject.id))
    )
    cipher = AESGCM(dek)
    out = {}
    for field in fields:
        token = subject.values.get(field)
        if token is None:
            continue
        nonce, sealed = envelope_parse(token)
        aad = value_aad(str(subject.id), field)
        out[field] = cipher.decrypt(nonce, sealed, aad).decode("utf-8")
    return out


def open_text(sealed: str, *, label: str) -> str:
    """A text sealed by ``vault.sealed.text_seal`` under ``label``; "" stays ""."""
    if not sealed:
        return ""
    nonce, ciphertext = envelope_parse(sealed)
    cipher = AESGCM(vault_key(SEALED_TEXT_KEY))
    return cipher.decrypt(nonce, ciphertext, sealed_aad(label)).decode("utf-8")


def open_blob(sealed: bytes, *, label: str) -> bytes:
    """Bytes sealed by ``vault.sealed.blob_seal`` under ``label``."""
    cipher = AESGCM(vault_key(SEALED_TEXT_KEY))
    return cipher.decrypt(sealed[:NONCE], sealed[NONCE:], sealed_aad(label))


def open_note(subject: Subject, note: str, *, label: str) -> str:
    """A ledger note sealed under the subject's key (an objection's words, compelling grounds);
    a plain system remark as it is; "" once the key or the note is gone."""
    token = note_parse(note)
    if token is None or subject.wrapped_dek is None:
        return "" if token is not None else note
    ring = keys.keyring()
    dek = keys.unwrap(
        ring.get(subject.kek_id), bytes(subject.wrapped_dek), aad=keys.dek_aad(str(subject.id))
    )
    nonce, sealed = envelope_parse(token)
    aad = value_aad(str(subject.id), label)
    return AESGCM(dek).decrypt(nonce, sealed, aad).decode("utf-8")
