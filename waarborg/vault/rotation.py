"""KEK rotation: rewrap data keys only; the encrypted values are not touched."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from waarborg.audit.services import audit_record
from waarborg.core.actors import Actor
from waarborg.vault import keys
from waarborg.vault.models import Subject, VaultKey


def keys_rotate(
    *, new_kek: bytes, batch: int = 1000, progress: Callable[[int, int], None] | None = None
) -> int:
    """Rewrap every DEK (and vault key) not yet under ``new_kek``. Each batch is one transaction,
    so an interrupted run keeps what it finished and a rerun carries on."""
    ring = keys.keyring()
    new_id = keys.kek_id(new_kek)
    todo = Subject.objects.exclude(kek_id=new_id).filter(wrapped_dek__isnull=False)
    total = todo.count()
    done = 0
    for row in VaultKey.objects.exclude(kek_id=new_id):
        aad = f"vaultkey:{row.name}".encode()
        key = keys.unwrap(ring.get(row.kek_id), bytes(row.wrapped), aad=aad)
        VaultKey.objects.filter(pk=row.pk).update(
            wrapped=keys.wrap(new_kek, key, aad=aad), kek_id=new_id
        )
    while True:
        with transaction.atomic():
            rows = list(todo.select_for_update().only("id", "wrapped_dek", "kek_id")[:batch])
            if not rows:
                break
            for subject in rows:
                aad = keys.dek_aad(str(subject.id))
                assert subject.wrapped_dek is not None
                dek = keys.unwrap(ring.get(subject.kek_id), bytes(subject.wrapped_dek), aad=aad)
                subject.wrapped_dek = keys.wrap(new_kek, dek, aad=aad)
                subject.kek_id = new_id
            Subject.objects.bulk_update(rows, ["wrapped_dek", "kek_id"])
        done += len(rows)
        if progress:
            progress(done, total)
    audit_record(
        actor=Actor.job("keys_rotate"), action="keys.rotate", detail={"to": new_id, "count": done}
    )
    return done
