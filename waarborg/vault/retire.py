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
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.utils import timezone

from waarborg.audit.models import AuditEntry
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
    the same subjects as a subquery of their ids (faster than sending thousands of ids).

    Rows are read as tuples and the audit entries written in one COPY on PostgreSQL: model
    instances and ``bulk_create`` cost more than the deletion itself at a million subjects."""
    done: dict[UUID, Retired] = {}
    why = {"reason": reason, **detail}
    nothing_held = not any(keep.categories for keep in keeps.values())
    if among is not None and connection.vendor == "postgresql" and nothing_held:
        return _erase_all(actor, keeps, among, why, now)
    with transaction.atomic():
        rows = Subject.objects.select_for_update().filter(
            id__in=list(keeps) if among is None else among
        )
        columns = ("id", "values", "erased_at", "restricted_at", "email_index", "phone_index")
        found = {row[0]: row for row in rows.values_list(*columns)}
        erased: list[UUID] = []
        held: list[tuple[Subject, int]] = []  # the subject and the place of its entry
        entries: list[_Entry] = []
        for subject_id, keep in keeps.items():
            row = found.get(subject_id)
            if row is None or row[2] is not None:
                done[subject_id] = Retired("absent" if row is None else "already_erased", ())
                continue
            values = row[1]
            if not keep.categories:
                fields = tuple(sorted(values))
                erased.append(subject_id)
                entries.append((ERASE, subject_id, list(fields), why))
                done[subject_id] = Retired("erased", fields)
                continue
            fields = tuple(_removable(values, keep))
            subject = Subject(
                id=subject_id,
                values=values,
                restricted_at=row[3],
                email_index=row[4],
                phone_index=row[5],
            )
            if fields and keep.hold_only and keep.held_until is not None:
                entries.append(_hold(subject, fields, keep.held_until, why))
                held.append((subject, len(entries) - 1))
                done[subject_id] = Retired("fields_removed", fields)
                continue
            if fields or (keep.hold_only and subject.restricted_at is None):
                _strip(subject, fields, restrict=keep.hold_only, now=now)
                entries.append((REMOVE, subject_id, list(fields), why))
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
            _shred_rows([(subject_id, now) for subject_id in erased])
        ids = _entries_write(actor, entries)  # the ids the ledger names
        by_subject = {e[1]: ids[n] for n, e in enumerate(entries) if e[0] == ERASE}
        records = [
            ErasureRecord(subject_id, now, by_subject.get(subject_id)) for subject_id in erased
        ]
        records += [
            ErasureRecord(s.id, now, ids[n], tuple(sorted(s.values)), s.held_until) for s, n in held
        ]
        erasure_records(records)
    return done


def _erase_all(
    actor: Actor, keeps: Mapping[UUID, Keep], among: Any, why: dict[str, str], now: dt.datetime
) -> dict[UUID, Retired]:
    """``subjects_retire`` when nothing holds any subject of the batch (PostgreSQL), in set SQL:
    one statement shreds them all and appends one audit entry per subject erased, naming the
    fields it held (read from the row as it was by a self-join), and answers the entries for the
    ledger. No locking read of every row first, no row built in Python."""
    table, qn = Subject._meta.db_table, connection.ops.quote_name
    audit = AuditEntry._meta.db_table
    sub, params = among.query.get_compiler(connection=connection).as_sql()
    # Names are ours, values are parameters.
    sql = (
        f"WITH gone AS (UPDATE {table} AS s SET wrapped_dek = NULL, {qn('values')} = '{{}}', "  # noqa: S608
        "email_index = NULL, phone_index = NULL, erased_at = %s "
        f"FROM {table} AS old WHERE s.id IN ({sub}) AND s.erased_at IS NULL AND old.id = s.id "
        "RETURNING s.id, to_jsonb(ARRAY(SELECT k FROM jsonb_object_keys("
        f"old.{qn('values')}) AS k ORDER BY k)) AS names) "
        f"INSERT INTO {audit} (at, actor, subject_id, purpose, action, fields, decision, reason, "
        "detail) SELECT %s, %s, id, '', %s, names, '', '', %s::jsonb FROM gone "
        "RETURNING id, subject_id, fields::text"
    )
    label = actor.label[:200]
    with transaction.atomic():
        with connection.cursor() as cursor:
            stamp = timezone.now()  # when the entries are written, as audit_entry says
            cursor.execute(sql, [now, *params, stamp, label, ERASE, json.dumps(why)])
            rows = cursor.fetchall()
        audit_record_many([])  # nothing more to insert: the chain seals these after the commit
        field = Subject._meta.get_field("id")
        shredded = {field.to_python(s): (pk, json.loads(names)) for pk, s, names in rows}
        done: dict[UUID, Retired] = {}
        missing = [s for s in keeps if s not in shredded]
        there = set(Subject.objects.filter(id__in=missing).values_list("id", flat=True))
        for subject_id in missing:
            done[subject_id] = Retired("already_erased" if subject_id in there else "absent", ())
        records = []
        for subject_id in keeps:
            if subject_id in shredded:
                pk, names = shredded[subject_id]
                done[subject_id] = Retired("erased", tuple(names))
                records.append(ErasureRecord(subject_id, now, pk))
        erasure_records(records)
    return done


# An audit entry to write: action, subject, fields, detail.
_Entry = tuple[str, UUID, list[str], Mapping[str, Any]]
_COLUMNS = ("at", "actor", "subject_id", "purpose", "action", "fields", "decision", "reason")


def _entries_write(actor: Actor, entries: list[_Entry]) -> list[int]:
    """Append ``entries`` to the audit log in the caller's transaction and answer their ids. On
    PostgreSQL the ids are taken from the table's sequence first and the rows sent in one COPY
    (``bulk_create`` spent about 250 us per entry adapting them); the chain seals them after the
    commit as it does every entry (``audit_record_many``)."""
    if connection.vendor != "postgresql" or len(entries) < 50:
        made = [
            audit_entry(actor=actor, action=a, subject_id=s, fields=f, detail=dict(d))
            for a, s, f, d in entries
        ]
        audit_record_many(made)
        return [int(e.id) for e in made]
    table = AuditEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(entries)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        columns = ", ".join(("id", *_COLUMNS, "detail"))
        at, label = timezone.now(), actor.label
        # JSON as text, made once per distinct value (a batch holds few): COPY's text format
        # hands it to the server as it is, which parses it as the column's jsonb.
        details: dict[int, str] = {}
        names: dict[tuple[str, ...], str] = {}
        stamp = at.isoformat()
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for pk, (action, subject_id, fields, detail) in zip(ids, entries, strict=True):
                body = details.get(id(detail))
                if body is None:
                    body = details[id(detail)] = json.dumps(dict(detail), sort_keys=True)
                key = tuple(fields)
                listed = names.get(key)
                if listed is None:
                    listed = names[key] = json.dumps(list(key))
                copy.write_row(
                    (pk, stamp, label, str(subject_id), "", action, listed, "", "", body)
                )
    audit_record_many([])  # nothing more to insert: the chain seals these after the commit
    return ids


def _hold(subject: Subject, fields: tuple[str, ...], until: dt.date, why: dict[str, str]) -> _Entry:
    """Keep only what a statutory hold covers, restricted until it ends, as
    ``subject_erase_held`` does (its ledger record says what was kept and until when, so a
    restored backup erases the rest again and keeps the books)."""
    subject_hold_only(subject, set(subject.values) - set(fields), until)
    Subject.objects.filter(id=subject.id).update(**{f: getattr(subject, f) for f in HELD})
    subject_notes_clear(subject)
    detail = {**why, "kept": sorted(subject.values), "until": until.isoformat()}
    return (ERASE, subject.id, list(fields), detail)


def _strip(subject: Subject, fields: tuple[str, ...], *, restrict: bool, now: dt.datetime) -> None:
    values = {k: v for k, v in subject.values.items() if k not in fields}
    changed = {"values": values, "updated_at": now}
    for field, column in _INDEXED.items():
        if field in fields:
            changed[column] = None
    if restrict and subject.restricted_at is None:
        changed["restricted_at"] = now
    Subject.objects.filter(id=subject.id).update(**changed)
