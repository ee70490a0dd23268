"""KEK rotation: rewrap data keys only; the encrypted values are not touched.

The order matters. Servers must know a KEK before anything is wrapped by it, so rotation runs
*after* every server has restarted with ``WAARBORG_KEK=<new>`` and ``WAARBORG_KEK_PREVIOUS=<old>``:
it then rewraps, under the current KEK, every key still wrapped by another configured one.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from django.db import transaction
from django.db.models import Count, QuerySet

from waarborg.audit.services import audit_record
from waarborg.core.actors import Actor
from waarborg.vault import keys
from waarborg.vault.models import Subject, VaultKey


class RotationError(Exception):
    """Rotation cannot go on; the message is one line an operator can act on."""


def _vault_key_aad(name: str) -> bytes:
    return f"vaultkey:{name}".encode()


def keys_unknown(ring: keys.Keyring) -> dict[str, int]:
    """Key ids that wrap data in the database but are not configured, with how many rows each."""
    found: dict[str, int] = {}
    for queryset in (
        Subject.objects.filter(wrapped_dek__isnull=False),
        VaultKey.objects.all(),
    ):
        rows = (
            queryset.exclude(kek_id__in=list(ring.by_id))
            .order_by()
            .values("kek_id")
            .annotate(rows=Count("id"))
            .values_list("kek_id", "rows")
        )
        for key_id, count in rows:
            found[key_id] = found.get(key_id, 0) + count
    return found


def keys_pending(*, ring: keys.Keyring | None = None) -> int:
    """How many data keys and vault keys are not yet wrapped by the current KEK."""
    ring = ring or keys.keyring()
    return (
        Subject.objects.filter(wrapped_dek__isnull=False).exclude(kek_id=ring.current_id).count()
        + VaultKey.objects.exclude(kek_id=ring.current_id).count()
    )


def _unwrap(ring: keys.Keyring, key_id: str, wrapped: bytes, *, aad: bytes, what: str) -> bytes:
    if key_id not in ring.by_id:
        raise RotationError(
            f"{what} is wrapped by key {key_id}, which is not configured; set "
            "WAARBORG_KEK_PREVIOUS to that key and run 'waarborg keys rotate' again."
        )
    try:
        return keys.unwrap(ring.by_id[key_id], wrapped, aad=aad)
    except InvalidTag:
        raise RotationError(
            f"{what} does not decrypt with key {key_id}: the stored key is damaged or was "
            "moved from another row. Nothing further was rewrapped."
        ) from None


def keys_rotate(
    *,
    new_kek: bytes | None = None,
    batch: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Rewrap every DEK and vault key that is not under the current KEK, reading each with the
    configured key it names (normally ``WAARBORG_KEK_PREVIOUS``). Returns how many were
    rewrapped; a rerun after a complete run returns 0.

    Each batch is one transaction, so an interrupted run keeps what it finished and a rerun
    carries on. ``new_kek``, if given, must be the current KEK: wrapping data under a key the
    servers do not have yet would make it unreadable to them until they restart.

    Raises ``RotationError`` (before changing anything) when rows are wrapped by a key that is
    not configured, and ``ImproperlyConfigured`` when the configured keys are missing or malformed.
    """
    if batch < 1:
        raise RotationError(f"the batch size must be at least 1, not {batch}.")
    ring = _ring_for_rotation(new_kek)
    todo = Subject.objects.filter(wrapped_dek__isnull=False).exclude(kek_id=ring.current_id)
    total = todo.count() + VaultKey.objects.exclude(kek_id=ring.current_id).count()
    done = _rotate_vault_keys(ring)
    if done and progress:
        progress(done, total)
    while rows := _rotate_batch(ring, todo, batch):
        done += rows
        if progress:
            progress(done, max(total, done))
    audit_record(
        actor=Actor.job("keys_rotate"),
        action="keys.rotate",
        detail={"to": ring.current_id, "count": done},
    )
    return done


def _ring_for_rotation(new_kek: bytes | None) -> keys.Keyring:
    """The configured keys, refused when the new KEK is not yet current or some data is under a
    key that is not configured (before anything changes)."""
    ring = keys.keyring()
    if new_kek is not None and keys.kek_id(new_kek) != ring.current_id:
        raise RotationError(
            "the new KEK must be WAARBORG_KEK before rotating: set WAARBORG_KEK to the new key and "
            "WAARBORG_KEK_PREVIOUS to the old one, restart every server, then rotate."
        )
    unknown = keys_unknown(ring)
    if unknown:
        listed = ", ".join(
            f"{key_id} ({count} {'key' if count == 1 else 'keys'})"
            for key_id, count in sorted(unknown.items())
        )
        raise RotationError(
            f"data is wrapped by keys that are not configured: {listed}. Set "
            "WAARBORG_KEK_PREVIOUS to the key that wrapped it; nothing was rewrapped."
        )
    return ring


def _rotate_vault_keys(ring: keys.Keyring) -> int:
    with transaction.atomic():
        rows = list(
            VaultKey.objects.exclude(kek_id=ring.current_id).select_for_update().order_by("id")
        )
        for row in rows:
            aad = _vault_key_aad(row.name)
            key = _unwrap(ring, row.kek_id, bytes(row.wrapped), aad=aad, what=f"vault key {row}")
            row.wrapped = keys.wrap(ring.current, key, aad=aad)
            row.kek_id = ring.current_id
        VaultKey.objects.bulk_update(rows, ["wrapped", "kek_id"])
    return len(rows)


def _rotate_batch(ring: keys.Keyring, todo: QuerySet[Subject], batch: int) -> int:
    """Rewrap up to ``batch`` data keys in one transaction; how many (0: nothing left)."""
    with transaction.atomic():
        rows = list(
            todo.select_for_update().order_by("id").only("id", "wrapped_dek", "kek_id")[:batch]
        )
        for subject in rows:
            if subject.wrapped_dek is None:  # erased meanwhile: nothing to rewrap
                continue
            aad = keys.dek_aad(str(subject.id))
            dek = _unwrap(
                ring,
                subject.kek_id,
                bytes(subject.wrapped_dek),
                aad=aad,
                what=f"the data key of subject {subject.id}",
            )
            subject.wrapped_dek = keys.wrap(ring.current, dek, aad=aad)
            subject.kek_id = ring.current_id
        Subject.objects.bulk_update(rows, ["wrapped_dek", "kek_id"])
    return len(rows)
