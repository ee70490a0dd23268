"""Key handling: the key-encryption key (KEK) from the environment, and per-subject data keys.

The KEK never touches the database. Each subject's data key (DEK) is stored wrapped by the KEK
with AES-256-GCM; the subject id is bound in as associated data so a wrapped key cannot be moved
to another subject.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ImproperlyConfigured

from waarborg.conf import env_secret

NONCE = 12  # AES-GCM nonce of a wrapped key


def kek_generate() -> str:
    return base64.b64encode(os.urandom(32)).decode("ascii")


def kek_parse(text: str, *, name: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{name} is not valid base64.") from None
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{name} must be 32 random bytes (base64), got {len(raw)}.")
    return raw


def kek_id(kek: bytes) -> str:
    """A public fingerprint of a KEK, stored beside what it wraps."""
    return hashlib.sha256(b"waarborg kek id\x00" + kek).hexdigest()[:16]


@dataclass(frozen=True)
class Keyring:
    current: bytes
    by_id: dict[str, bytes]

    @property
    def current_id(self) -> str:
        return kek_id(self.current)

    def get(self, key_id: str) -> bytes:
        try:
            return self.by_id[key_id]
        except KeyError:
            raise ImproperlyConfigured(
                f"data is wrapped by key {key_id}, which is not configured "
                "(set WAARBORG_KEK_PREVIOUS while a rotation is unfinished)."
            ) from None


@lru_cache(maxsize=1)
def keyring() -> Keyring:
    """The configured keys; raises ImproperlyConfigured when no KEK is set (fail closed)."""
    current_text = env_secret("WAARBORG_KEK")
    if current_text is None:
        raise ImproperlyConfigured(
            "WAARBORG_KEK (or WAARBORG_KEK_FILE) is not set; personal data cannot be stored or "
            "read. Create one with 'waarborg keys generate'."
        )
    current = kek_parse(current_text, name="WAARBORG_KEK")
    keys = {kek_id(current): current}
    previous_text = env_secret("WAARBORG_KEK_PREVIOUS")
    if previous_text:
        previous = kek_parse(previous_text, name="WAARBORG_KEK_PREVIOUS")
        keys[kek_id(previous)] = previous
    return Keyring(current=current, by_id=keys)


def wrap(kek: bytes, key: bytes, *, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + AESGCM(kek).encrypt(nonce, key, aad)


def unwrap(kek: bytes, wrapped: bytes, *, aad: bytes) -> bytes:
    return AESGCM(kek).decrypt(wrapped[:NONCE], wrapped[NONCE:], aad)


def dek_aad(subject_id: str) -> bytes:
    return f"dek:{subject_id}".encode()
