"""Blind indexes: HMAC-SHA256 of a normalised e-mail address or phone number under a key of the
vault's own, so equal values match while the value itself is never stored in the clear."""

from __future__ import annotations

import hashlib
import hmac
import os

from django.db import IntegrityError, transaction

from waarborg.vault import keys
from waarborg.vault.models import VaultKey
from waarborg.vault.validation import email_key

# Keys the vault keeps for itself, by (name, id of the KEK that was current when read).
_index_keys: dict[tuple[str, str], bytes] = {}


def vault_key(name: str) -> bytes:
    """A key of the vault's own (``blind_index``, ``sealed_text``), created on first use in its
    own savepoint and wrapped by the KEK (``keys rotate`` rewraps it with the others). It is kept
    for the process only once its row is known to be committed: inside a transaction (which may
    yet roll back, taking a freshly made key with it) it is cached when that transaction
    commits."""
    ring = keys.keyring()
    slot = (name, ring.current_id)
    cached = _index_keys.get(slot)
    if cached is not None:
        return cached
    aad = f"vaultkey:{name}".encode()
    row = VaultKey.objects.filter(name=name).first()
    if row is None:
        try:
            with transaction.atomic():
                row = VaultKey.objects.create(
                    name=name,
                    wrapped=keys.wrap(ring.current, os.urandom(32), aad=aad),
                    kek_id=ring.current_id,
                )
        except IntegrityError:  # another process made it first
            row = VaultKey.objects.get(name=name)
    key = keys.unwrap(ring.get(row.kek_id), bytes(row.wrapped), aad=aad)
    if transaction.get_connection().in_atomic_block:
        # The row may have been made by this very transaction; cache it only if that commits.
        transaction.on_commit(lambda: _index_keys.setdefault(slot, key))
    else:
        _index_keys[slot] = key
    return key


def _index_key() -> bytes:
    return vault_key("blind_index")


def index_cache_clear() -> None:
    _index_keys.clear()


def _digest(kind: str, normal: str) -> str:
    message = normal.encode("utf-8") if kind == "email" else f"{kind}:{normal}".encode()
    return hmac.new(_index_key(), message, hashlib.sha256).hexdigest()


def email_index(email: str) -> str:
    """Blind index of an e-mail address in its canonical form (``validation.email_key``), so
    look-alike spellings of one address find the same person."""
    return _digest("email", email_key(email) or email.strip().lower())


def phone_index(e164: str) -> str:
    """Blind index of a phone number in E.164 form, as validation stores it."""
    return _digest("phone", e164)
