"""Personal text kept outside a subject's record: the address and words of someone who asked
to exercise a right, who may not be on file at all (so there is no subject key to seal it under).

Sealed with AES-256-GCM under the vault's own ``sealed_text`` key (wrapped by the KEK, rewrapped
by ``keys rotate``), with a label naming the row and column bound in as associated data, so a
sealed text cannot be moved to another row. Opened only by the gate (``gate.decrypt``)."""

from __future__ import annotations

from waarborg.vault.envelope import envelope_seal
from waarborg.vault.index import vault_key

SEALED_TEXT_KEY = "sealed_text"


def sealed_aad(label: str) -> bytes:
    return f"text:{label}".encode()


def text_seal(text: str, *, label: str) -> str:
    """``text`` encrypted for storage; "" stays "" (nothing to hide)."""
    if not text:
        return ""
    return envelope_seal(vault_key(SEALED_TEXT_KEY), text, aad=sealed_aad(label))
