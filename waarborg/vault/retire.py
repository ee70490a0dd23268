"""Retiring data whose retention period ended (``waarborg retention sweep``), many subjects in
one transaction.

The retention layer decides, per subject, which policy categories are still held by a purpose
whose period has not ended; this module removes every field outside them. A subject nothing
holds any more is crypto-shredded exactly as ``subject_erase`` does (data key, ciphertexts and
blind indexes), with its audit entry and its record in the erasure ledger, so a restored backup
erases them again. A subject that only a statutory hold keeps (bookkeeping, art. 52 AWR) loses
every other field and is restricted: what remains is only stored, for the hold, never used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import transaction

from waarborg.audit.services import audit_entry, audit_record_many
from waarborg.core.actors import Actor
from waarborg.policy.checks import covered
from waarborg.policy.selectors import policy_current
from waarborg.vault.erasures import (
    ERASE,
    HELD,
    ErasureRecord,
    _shred_rows,
    erasure_records,
    subject_hold_only,
    subject_notes_clear,
)
from waarborg.vault.models import Subject

REMOVE = "subject.fields_remove"
_INDEXED = {"email": "email_index", "phone": "phone_index"}


@dataclass(frozen=True)
class Keep:
    """What still holds a subject's data: the categories of purposes whose period runs, and
    whether every one of them is a statutory hold (then the rest is restricted)."""

    categories: frozenset[str]
    hold_only: bool = False
    held_until: dt.date | None = None  # when the last hold ends (hold_only)


@dataclass(frozen=True)
class Retired:
    outcome: str  # "erased", "fields_removed", "unchanged", "already_erased", "absent"
    fields: tuple[str, ...]


def _removable(values: Mapping[str, object], keep: Keep) -> list[str]:
    fields = policy_current().policy.fields
    return sorted(
        f
        for f in values
        if f not in fields or not covered(list(keep.categories), fields[f].category)
    )


def subjects_retire(
    *,
    actor: Actor,
    keeps: Mapping[UUID, Keep],
    reason: str,
    detail: Mapping[str, str],
    now: dt.datetime,
    among: Any = None,
) -> dict[UUID, Retired]:
    """Remove what nothing holds any more, for each subject of ``keeps``, in one transaction
    whose last step appends the erasures to the ledger (fsynced once for the batch). ``among``:
    the same subjects as a subquery of their ids (faster than sending thousands of ids)."""
    done: dict[UUID, Retired] = {}
    with transaction.atomic():
        rows = Subject.objects.select_for_update().filter(
            id__in=list(keeps) if among is None else among
        )
        found = {s.id: s for s in rows.only("id", "values", "erased_at", "restricted_at")}
        erased: list[Subject] = []
        held: list[tuple[Subject, Any]] = []
        entries = []
        for subject_id, keep in keeps.items():
            subject = found.get(subject_id)
            if subject is None or subject.erased_at is not None:
                done[subject_id] = Retired("absent" if subject is None else "already_erased", ())
                continue
            why = {"reason": reason, **detail}
            if not keep.categories:
                fields = tuple(sorted(subject.values))
                subject.erased_at = now
                erased.append(subject)
                entries.append(
                    audit_entry(
                        actor=actor,
                        action=ERASE,
                        subject_id=subject_id,
                        fields=list(fields),
                        detail=why,
                    )
                )
                done[subject_id] = Retired("erased", fields)
                continue
            fields = tuple(_removable(subject.values, keep))
            if fields and keep.hold_only and keep.held_until is not None:
                held.append((subject, _hold(actor, subject, fields, keep.held_until, why)))
                entries.append(held[-1][1])
                done[subject_id] = Retired("fields_removed", fields)
                continue
            if fields or (keep.hold_only and subject.restricted_at is None):
                _strip(subject, fields, restrict=keep.hold_only, now=now)
                entries.append(
                    audit_entry(
                        actor=actor,
                        action=REMOVE,
                        subject_id=subject_id,
                        fields=list(fields),
                        detail=why,
                    )
                )
            done[subject_id] = Retired("fields_removed" if fields else "unchanged", fields)
        if among is not None and len(erased) == len(keeps):  # the whole batch: no id list
            shred: dict[str, Any] = {
                "wrapped_dek": None,
                "values": {},
                "email_index": None,
                "phone_index": None,
            }
            Subject.objects.filter(id__in=among, erased_at__isnull=True).update(
                **shred, erased_at=now
            )
        else:
            _shred_rows([(s.id, now) for s in erased])
        audit_record_many(entries)  # hands back the ids the ledger names
        by_subject = {e.subject_id: e.id for e in entries if e.action == ERASE}
        records = [ErasureRecord(s.id, now, by_subject.get(s.id)) for s in erased]
        records += [
            ErasureRecord(s.id, now, e.id, tuple(sorted(s.values)), s.held_until) for s, e in held
        ]
        erasure_records(records)
    return done


def _hold(
    actor: Actor, subject: Subject, fields: tuple[str, ...], until: dt.date, why: dict[str, str]
) -> Any:
    """Keep only what a statutory hold covers, restricted until it ends, as
    ``subject_erase_held`` does (its ledger record says what was kept and until when, so a
    restored backup erases the rest again and keeps the books)."""
    subject_hold_only(subject, set(subject.values) - set(fields), until)
    subject.save(update_fields=HELD)
    subject_notes_clear(subject)
    detail = {**why, "kept": sorted(subject.values), "until": until.isoformat()}
    return audit_entry(
        actor=actor, action=ERASE, subject_id=subject.id, fields=list(fields), detail=detail
    )


def _strip(subject: Subject, fields: tuple[str, ...], *, restrict: bool, now: dt.datetime) -> None:
    values = {k: v for k, v in subject.values.items() if k not in fields}
    changed = {"values": values, "updated_at": now}
    for field, column in _INDEXED.items():
        if field in fields:
            changed[column] = None
    if restrict and subject.restricted_at is None:
        changed["restricted_at"] = now
    Subject.objects.filter(id=subject.id).update(**changed)
