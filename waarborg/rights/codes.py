"""References and confirmation codes of requests."""

from __future__ import annotations

import base64
import secrets

from django.utils.crypto import salted_hmac

from waarborg.core.counters import secret_digest

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
    """What is stored of a confirmation code (144 random bits): its SHA-256."""
    return secret_digest(code)


def status_code(reference: str) -> str:
    """The code in a request's status link: an HMAC of its reference under the secret key, so
    the link needs nothing stored and cannot be made from a reference alone. It is mailed only
    to the requester's address (never shown on the page that files the request), because the
    status turning ``open`` would tell whoever filed it that the address is on file."""
    mac = salted_hmac("waarborg.rights.status", reference_clean(reference), algorithm="sha256")
    return base64.urlsafe_b64encode(mac.digest()[:16]).decode().rstrip("=")
