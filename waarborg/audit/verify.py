"""Verifying the audit log: recompute the hash chain from its first seal and name the first entry
that does not match, is gone, or cannot be read.

The verifier reads a database someone may have tampered with, so nothing it finds there may stop
it: a timestamp that no longer parses, a JSON value of the wrong shape, text that is not UTF-8, a
seal whose entry was deleted. Each is reported as the place where the chain breaks. Only a
database that cannot be reached at all is an error (it raises ``DatabaseError``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet

from waarborg.audit.models import CANONICAL_COLUMNS, AuditEntry, AuditSeal, canonical_entry
from waarborg.audit.services import GENESIS, chain_hash

SEAL_COLUMNS = ("position", "entry_id", "prev_hash", "hash", "sealed_at")
# What reading a tampered row can raise: the database's own refusal (PostgreSQL will not hand out
# an infinite timestamp, SQLite text that is not UTF-8) or Django's converters on what it got.
_UNREADABLE = (DatabaseError, ValueError, TypeError, AttributeError, ArithmeticError, LookupError)


@dataclass(frozen=True)
class Verification:
    checked: int
    unsealed: int
    broken_at: int | None  # entry id of the first entry that does not match, when it is known
    problem: str = ""
    position: int | None = None  # where in the chain, when the entry cannot be named

    @property
    def intact(self) -> bool:
        return self.broken_at is None and not self.problem

    @property
    def where(self) -> str:
        if self.broken_at is not None:
            return f"entry {self.broken_at}"
        return f"position {self.position}"


class _Broken(Exception):
    def __init__(self, problem: str, entry: object = None, position: object = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.entry = entry if isinstance(entry, int) else None
        self.position = position if isinstance(position, int) else None


@contextmanager
def _guarded() -> Iterator[None]:
    """Inside a transaction a failed read would spoil it (PostgreSQL): read in a savepoint. In
    autocommit each query stands alone, and opening a transaction would, on SQLite, take the
    write lock for a read."""
    with transaction.atomic() if connection.in_atomic_block else nullcontext():
        yield


def _read(rows: QuerySet[Any], columns: Sequence[str]) -> list[tuple[Any, ...]] | None:
    """The rows' columns, or None if they cannot be read while the database itself answers."""
    try:
        with _guarded():
            return list(rows.values_list(*columns))
    except _UNREADABLE:
        # Rows that cannot be read, or no database, or no audit tables? The last two raise here.
        with _guarded():
            AuditEntry.objects.exists()
            AuditSeal.objects.exists()
        return None


def _bad_column(rows: QuerySet[Any], columns: Sequence[str]) -> str:
    return next((c for c in columns if _read(rows, [c]) is None), "row")


def _seals(after: int, size: int) -> QuerySet[AuditSeal]:
    return AuditSeal.objects.filter(position__gt=after).order_by("position")[:size]


def _seal_rows(after: int, size: int) -> list[tuple[Any, ...]]:
    """Up to ``size`` seals after position ``after``. Where one cannot be read: the ones before
    it, and on the next call ``_Broken`` naming it."""
    rows = _read(_seals(after, size), SEAL_COLUMNS)
    if rows is not None:
        return rows
    found: list[tuple[Any, ...]] = []
    while len(found) < size:  # one at a time, to find the first that cannot be read
        row = _read(_seals(after, 1), SEAL_COLUMNS)
        if row is None:
            if found:
                return found
            where = _read(_seals(after, 1), ["position", "entry_id"])
            if not where:
                raise _Broken(f"the seal after position {after} cannot be read", None, after + 1)
            position, entry = where[0]
            column = _bad_column(AuditSeal.objects.filter(position=position), SEAL_COLUMNS)
            raise _Broken(f"its seal's {column} cannot be read", entry, position)
        if not row:
            break
        found.append(row[0])
        after = row[0][0]
        if not isinstance(after, int):
            break
    return found


def _entry_rows(ids: Sequence[int]) -> dict[int, tuple[Any, ...] | str]:
    """The entries' columns by id; an entry that cannot be read maps to the unreadable column.
    Entries missing from the answer were deleted."""
    rows = _read(AuditEntry.objects.filter(id__in=ids), CANONICAL_COLUMNS)
    if rows is not None:
        return {row[0]: row for row in rows}
    found: dict[int, tuple[Any, ...] | str] = {}
    for entry_id in ids:  # in chain order: the walk stops at the first bad one
        one = AuditEntry.objects.filter(id=entry_id)
        row = _read(one, CANONICAL_COLUMNS)
        if row is None:
            found[entry_id] = _bad_column(one, CANONICAL_COLUMNS)
            return found
        if row:
            found[entry_id] = row[0]
    return found


# The type each column has when the database holds what the sealer wrote.
_ENTRY_TYPES: dict[str, Callable[[Any], bool]] = {
    "id": lambda v: isinstance(v, int),
    "at": lambda v: isinstance(v, dt.datetime) and v.tzinfo is not None,
    "subject_id": lambda v: v is None or isinstance(v, UUID),
    "fields": lambda v: isinstance(v, list) and all(isinstance(f, str) for f in v),
    "detail": lambda v: isinstance(v, dict),
}


def _unreadable_column(row: tuple[Any, ...]) -> str | None:
    for column, value in zip(CANONICAL_COLUMNS, row, strict=True):
        if not _ENTRY_TYPES.get(column, lambda v: isinstance(v, str))(value):
            return column
        try:  # what the hash is taken over must be writable as UTF-8 JSON
            json.dumps(value, default=str, ensure_ascii=False).encode("utf-8")
        except (ValueError, TypeError):
            return column
    return None


def _seal_problem(seal: tuple[Any, ...]) -> str | None:
    _, _, prev_hash, digest, sealed_at = seal
    if not isinstance(prev_hash, str):
        return "prev_hash"
    if not isinstance(digest, str):
        return "hash"
    if not isinstance(sealed_at, dt.datetime) or sealed_at.tzinfo is None:
        return "sealed_at"
    return None


class _Walk:
    """The chain from its first seal, one link at a time."""

    def __init__(self) -> None:
        self.prev = GENESIS
        self.checked = 0
        # Seals made before the hash covered the sealing time; allowed only as the chain's start.
        self.legacy = True

    def run(self, chunk: int) -> None:
        after = 0
        while seals := _seal_rows(after, chunk):
            entries = _entry_rows([s[1] for s in seals if isinstance(s[1], int)])
            for seal in seals:
                self._link(seal, entries)
                after = seal[0]

    def _link(self, seal: tuple[Any, ...], entries: dict[int, tuple[Any, ...] | str]) -> None:
        position, entry_id, prev_hash, digest, sealed_at = seal
        expected = self.checked + 1
        if position != expected:
            if isinstance(position, int) and position > expected:
                raise _Broken(f"position {expected} is missing", entry_id, position)
            raise _Broken("its seal's position cannot be read", entry_id, expected)
        if not isinstance(entry_id, int):
            raise _Broken("its seal's entry_id cannot be read", None, position)
        entry = entries.get(entry_id)
        if entry is None:
            raise _Broken("the entry is missing (deleted)", entry_id, position)
        column = entry if isinstance(entry, str) else _unreadable_column(entry)
        if column:
            raise _Broken(f"its {column} cannot be read", entry_id, position)
        if column := _seal_problem(seal):
            raise _Broken(f"its seal's {column} cannot be read", entry_id, position)
        canonical = canonical_entry(*entry)
        if prev_hash != self.prev:
            raise _Broken("hash does not match", entry_id, position)
        if chain_hash(prev_hash, position, canonical, sealed_at) == digest:
            self.legacy = False
        elif not (self.legacy and chain_hash(prev_hash, position, canonical, None) == digest):
            raise _Broken("hash does not match", entry_id, position)
        self.prev = digest
        self.checked += 1


def audit_verify(*, chunk: int = 5000) -> Verification:
    """Walk the chain from the start, recomputing every hash; stop at the first entry that does
    not match, is gone or cannot be read. Raises ``DatabaseError`` only when the database does
    not answer at all."""
    walk = _Walk()
    try:
        walk.run(chunk)
    except _Broken as broken:
        return Verification(walk.checked, 0, broken.entry, broken.problem, broken.position)
    unsealed = AuditEntry.objects.filter(seal__isnull=True).count()
    return Verification(walk.checked, unsealed, None)
