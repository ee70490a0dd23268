"""Personal text kept outside a subject's record: the address and words of someone who asked
to exercise a right, who may not be on file at all (so there is no subject key to seal it under).

Sealed with AES-256-GCM under the vault's own ``sealed_text`` key (wrapped by the KEK, rewrapped
by ``keys rotate``), with a label naming the row and column bound in as associated data, so a
sealed text cannot be moved to another row. Opened only by the gate (``gate.decrypt``)."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from waarborg.vault.envelope import NONCE, envelope_seal
from waarborg.vault.index import vault_key

SEALED_TEXT_KEY = "sealed_text"


def sealed_aad(label: str) -> bytes:
    return f"text:{label}".encode()


def text_seal(text: str, *, label: str) -> str:
    """``text`` encrypted for storage; "" stays "" (nothing to hide)."""
    if not text:
        return ""
    return envelope_seal(vault_key(SEALED_TEXT_KEY), text, aad=sealed_aad(label))


def blob_seal(data: bytes, *, label: str) -> bytes:
    """Bytes (an export's archive, what a system handed over for one) encrypted for storage,
    under the same key and kind of label as a sealed text: ``nonce || ciphertext``."""
    nonce = os.urandom(NONCE)
    return nonce + AESGCM(vault_key(SEALED_TEXT_KEY)).encrypt(nonce, data, sealed_aad(label))
