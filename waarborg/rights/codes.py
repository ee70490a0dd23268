"""References and confirmation codes of requests."""

from __future__ import annotations

import hashlib
import secrets

CONFIRM_DAYS = 7  # a confirmation link works this long after it was mailed
# No 0/O, 1/I/L: a reference is read aloud over the phone and typed from a letter.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 6


def reference_new() -> str:
    """``R-`` and six characters: 31^6, almost 900 million references."""
    return "R-" + "".join(secrets.choice(ALPHABET) for _ in range(REFERENCE_LENGTH))


def reference_clean(text: str) -> str:
    """A reference as people type it: any case, with spaces or dashes, with or without ``R-``."""
    compact = "".join(text.split()).upper().replace("-", "")
    compact = compact[1:] if len(compact) == REFERENCE_LENGTH + 1 and compact[0] == "R" else compact
    return "R-" + compact[:16]


def code_digest(code: str) -> str:
    """What is stored of a confirmation code: its SHA-256 (the code has 144 random bits, so a
    slow hash would add nothing against guessing)."""
    return hashlib.sha256(code.strip().encode()).hexdigest()
