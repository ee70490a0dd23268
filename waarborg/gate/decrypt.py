"""The only place where personal values are decrypted. Nothing outside ``waarborg.gate`` imports it
(an architecture test checks)."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from waarborg.vault import keys
from waarborg.vault.models import Subject


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
        raw = base64.b64decode(token)
        out[field] = cipher.decrypt(
            raw[: keys.NONCE], raw[keys.NONCE :], keys.value_aad(str(subject.id), field)
        ).decode("utf-8")
    return out
