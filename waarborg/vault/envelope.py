"""The format of an encrypted personal value, written and parsed here only.

A value is ``base64(nonce || AES-256-GCM ciphertext)`` under the subject's data key, with the
subject and field bound in as associated data. Free text about a person kept outside
``Subject.values`` (an objection's note, compelling grounds) carries the prefix ``enc:`` so it can
be told from a fixed system remark. Decryption itself happens only in ``waarborg.gate.decrypt``.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE = 12
NOTE_PREFIX = "enc:"


def value_aad(subject_id: str, field: str) -> bytes:
    return f"value:{subject_id}:{field}".encode()


def note_label(kind: str, purpose: str) -> str:
    """The associated-data label of a note: ``objection:<purpose>`` or ``grounds:<purpose>``."""
    return f"{kind}:{purpose}"


def envelope_seal(dek: bytes, value: str, *, aad: bytes) -> str:
    nonce = os.urandom(NONCE)
    sealed = nonce + AESGCM(dek).encrypt(nonce, value.encode("utf-8"), aad)
    return base64.b64encode(sealed).decode("ascii")


def envelope_parse(token: str) -> tuple[bytes, bytes]:
    """``(nonce, ciphertext)`` of a stored value; ValueError when it is not one."""
    raw = base64.b64decode(token, validate=True)
    if len(raw) <= NONCE:
        raise ValueError("not an encrypted value")
    return raw[:NONCE], raw[NONCE:]


def note_seal(dek: bytes, text: str, *, subject_id: str, label: str) -> str:
    if not text:
        return ""
    return NOTE_PREFIX + envelope_seal(dek, text, aad=value_aad(subject_id, label))


def note_parse(note: str) -> str | None:
    """The envelope inside a sealed note, or None for a plain system remark."""
    return note[len(NOTE_PREFIX) :] if note.startswith(NOTE_PREFIX) else None
