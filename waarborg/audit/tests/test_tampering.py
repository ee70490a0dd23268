"""``waarborg audit verify`` on a log someone tampered with: every column of both audit tables
changed, made unreadable or emptied, and entries deleted. Each is reported as the place where the
chain breaks (exit 1, nothing on stdout), never as a crash.

The tampering is done as an attacker with the database's owner rights would: triggers dropped,
raw SQL. Each case runs in a savepoint that is rolled back afterwards, so a seal left pointing at a
deleted entry does not trip the foreign key check when the test ends.
"""

from __future__ import annotations

import io
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from waarborg.audit.models import AuditEntry, AuditSeal
from waarborg.audit.selectors import audit_verify
from waarborg.audit.services import audit_record, audit_seal
from waarborg.audit.tests.support import audit_triggers_drop, committed_db  # noqa: F401
from waarborg.audit.tests.test_verify_command import WAARBORG, waarborg
from waarborg.conftest import staff

pytestmark = pytest.mark.django_db

VENDOR = connection.vendor
ENTRIES = 6
VICTIM = 3  # index of the entry tampered with: chain position 4


@dataclass(frozen=True)
class Case:
    sql: dict[str, list[str]]  # per database: statements; ``{id}`` is the victim's entry id
    problem: str  # what the report says
    named: Callable[[list[int]], str]  # where it says the chain breaks, from the entry ids


def _victim(ids: list[int]) -> str:
    return f"entry {ids[VICTIM]}"


def _next(ids: list[int]) -> str:
    return f"entry {ids[VICTIM + 1]}"


def _emptied(table: str, column: str) -> list[str]:
    """PostgreSQL: the column's NOT NULL constraint dropped and the value set to NULL."""
    key = "id" if table == "audit_auditentry" else "entry_id"
    return [
        "SET CONSTRAINTS ALL IMMEDIATE",  # ALTER TABLE waits for no deferred foreign key check
        f"ALTER TABLE {table} ALTER COLUMN {column} DROP NOT NULL",
        f"UPDATE {table} SET {column} = NULL WHERE {key} = {{id}}",
    ]


def _entry(column: str, value: str) -> str:
    return f"UPDATE audit_auditentry SET {column} = {value} WHERE id = {{id}}"


def _seal(column: str, value: str) -> str:
    return f"UPDATE audit_auditseal SET {column} = {value} WHERE entry_id = {{id}}"


NOT_UTF8 = "CAST(X'C3FF28' AS TEXT)"  # SQLite stores it; no UTF-8 decoder reads it back
# SQLite checks that a JSON column holds valid JSON; an attacker switches the check off.
NO_CHECKS = "PRAGMA ignore_check_constraints = ON"
MISMATCH = "hash does not match"


def _text_cases(table: str, column: str, changed: str) -> dict[str, Case]:
    update = _entry if table == "audit_auditentry" else _seal
    prefix = "" if table == "audit_auditentry" else "seal's "
    unreadable = f"its {prefix}{column} cannot be read"
    return {
        f"{column} changed": Case({"*": [update(column, changed)]}, MISMATCH, _victim),
        f"{column} not UTF-8": Case({"sqlite": [update(column, NOT_UTF8)]}, unreadable, _victim),
        f"{column} emptied": Case({"postgresql": _emptied(table, column)}, unreadable, _victim),
    }


CASES: dict[str, Case] = {
    "id changed": Case({"*": [_entry("id", "900000")]}, "the entry is missing (deleted)", _victim),
    "id changed with its seal": Case(
        {
            "*": [
                _seal("entry_id", "NULL").replace("= NULL", "= 900000"),
                "UPDATE audit_auditentry SET id = 900000 WHERE id = {id}",
            ]
        },
        MISMATCH,
        lambda ids: "entry 900000",
    ),
    "at changed": Case(
        {
            "sqlite": [_entry("at", "'2001-02-03 04:05:06'")],
            "postgresql": [_entry("at", "'2001-02-03 04:05:06+00'")],
        },
        MISMATCH,
        _victim,
    ),
    "at unparsable": Case(
        {
            "sqlite": [_entry("at", "'yesterday around noon'")],
            "postgresql": [_entry("at", "'infinity'")],
        },
        "its at cannot be read",
        _victim,
    ),
    "at a number": Case({"sqlite": [_entry("at", "12345")]}, "its at cannot be read", _victim),
    "at in year 10000": Case(
        {"postgresql": [_entry("at", "'10000-01-01 00:00:00+00'")]},
        "its at cannot be read",
        _victim,
    ),
    **_text_cases("audit_auditentry", "actor", "'staff:mallory'"),
    "subject_id changed": Case(
        {"*": [_entry("subject_id", "'6f1c0b520c534c3e9d552a2f4b6b8a11'")]}, MISMATCH, _victim
    ),
    "subject_id unparsable": Case(
        {"sqlite": [_entry("subject_id", "'not-a-uuid'")]},
        "its subject_id cannot be read",
        _victim,
    ),
    "subject_id emptied": Case({"*": [_entry("subject_id", "NULL")]}, MISMATCH, _victim),
    **_text_cases("audit_auditentry", "purpose", "'offers'"),
    **_text_cases("audit_auditentry", "action", "'test.erase'"),
    "fields changed": Case({"*": [_entry("fields", "'[\"iban\"]'")]}, MISMATCH, _victim),
    "fields broken JSON": Case(
        {"sqlite": [NO_CHECKS, _entry("fields", "'[\"name\", '")]},
        "its fields cannot be read",
        _victim,
    ),
    "fields not a list": Case(
        {"*": [_entry("fields", "'5'")]}, "its fields cannot be read", _victim
    ),
    "fields a lone surrogate": Case(
        {"sqlite": [_entry("fields", "'[\"\\ud800\"]'")]}, "its fields cannot be read", _victim
    ),
    "fields emptied": Case(
        {"postgresql": _emptied("audit_auditentry", "fields")},
        "its fields cannot be read",
        _victim,
    ),
    **_text_cases("audit_auditentry", "decision", "'allowed'"),
    **_text_cases("audit_auditentry", "reason", "'no_consent'"),
    "detail changed": Case({"*": [_entry("detail", "'{\"ids\": 1}'")]}, MISMATCH, _victim),
    "detail broken JSON": Case(
        {"sqlite": [NO_CHECKS, _entry("detail", "'{\"ids\": '")]},
        "its detail cannot be read",
        _victim,
    ),
    "detail not an object": Case(
        {"*": [_entry("detail", "'null'")]}, "its detail cannot be read", _victim
    ),
    "position changed": Case(
        {"*": [_seal("position", "1000")]}, f"position {VICTIM + 1} is missing", _next
    ),
    "position not a number": Case(
        {"sqlite": [_seal("position", "'fourth'")]}, f"position {VICTIM + 1} is missing", _next
    ),
    "position swapped with the next": Case(
        {
            "*": [
                _seal("position", "-1"),
                f"UPDATE audit_auditseal SET position = {VICTIM + 1} WHERE position = {VICTIM + 2}",
                f"UPDATE audit_auditseal SET position = {VICTIM + 2} WHERE position = -1",
            ]
        },
        MISMATCH,
        _next,
    ),
    "entry_id changed": Case(
        {"*": [_seal("entry_id", "900000")]},
        "the entry is missing (deleted)",
        lambda _: "entry 900000",
    ),
    "entry_id not a number": Case(
        {"sqlite": [_seal("entry_id", "'fourth'")]},
        "its seal's entry_id cannot be read",
        lambda _: f"position {VICTIM + 1}",
    ),
    **_text_cases("audit_auditseal", "prev_hash", "'0000'"),
    **_text_cases("audit_auditseal", "hash", "'f00'"),
    "sealed_at changed": Case(
        {
            "sqlite": [_seal("sealed_at", "'2001-02-03 04:05:06'")],
            "postgresql": [_seal("sealed_at", "'2001-02-03 04:05:06+00'")],
        },
        MISMATCH,
        _victim,
    ),
    "sealed_at unparsable": Case(
        {
            "sqlite": [_seal("sealed_at", "'soon'")],
            "postgresql": [_seal("sealed_at", "'-infinity'")],
        },
        "its seal's sealed_at cannot be read",
        _victim,
    ),
    "entry deleted with its seal": Case(
        {
            "*": [
                "DELETE FROM audit_auditseal WHERE entry_id = {id}",
                "DELETE FROM audit_auditentry WHERE id = {id}",
            ]
        },
        f"position {VICTIM + 1} is missing",
        _next,
    ),
    "entry deleted, its seal left": Case(
        {"*": ["DELETE FROM audit_auditentry WHERE id = {id}"]},
        "the entry is missing (deleted)",
        _victim,
    ),
}


def _statements(case: Case) -> list[str] | None:
    return case.sql.get(VENDOR) or case.sql.get("*")


def _entries() -> list[int]:
    for _ in range(ENTRIES):
        audit_record(
            actor=staff("support"),
            action="test.read",
            subject_id=uuid.uuid4(),
            purpose="administration",
            fields=["name"],
            reason="",
            detail={"ids": [1, 2]},
        )
    audit_seal()
    return list(AuditEntry.objects.order_by("id").values_list("id", flat=True))


def _verify() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@contextmanager
def _tampered(statements: list[str], victim: int) -> Iterator[None]:
    try:
        with transaction.atomic():
            audit_triggers_drop()
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql.replace("{id}", str(victim)))
            yield
            transaction.set_rollback(True)
    finally:
        if NO_CHECKS in statements:  # a pragma is not undone by the rollback
            with connection.cursor() as cursor:
                cursor.execute(NO_CHECKS.replace("ON", "OFF"))


def test_every_column_of_both_tables_has_cases():
    columns = {f.column for m in (AuditEntry, AuditSeal) for f in m._meta.concrete_fields}
    covered = {name.split()[0] for name in CASES}
    assert columns <= covered, columns - covered


@pytest.mark.parametrize("name", list(CASES))
def test_verify_reports_tampering_without_crashing(name):
    statements = _statements(CASES[name])
    if statements is None:
        pytest.skip(f"not possible on {VENDOR}")
    ids = _entries()
    assert _verify()[0] == 0
    with _tampered(statements, ids[VICTIM]):
        code, out, err = _verify()
    expected = f"chain broken at {CASES[name].named(ids)}: {CASES[name].problem}"
    assert (code, out) == (1, ""), err
    assert err.startswith(expected), err
    assert "Traceback" not in err
    assert _verify()[0] == 0  # the savepoint is gone: the log is whole again


def test_the_first_entry_deleted_is_reported_at_the_second():
    ids = _entries()
    with _tampered(
        [
            "DELETE FROM audit_auditseal WHERE entry_id = {id}",
            "DELETE FROM audit_auditentry WHERE id = {id}",
        ],
        ids[0],
    ):
        result = audit_verify()
    assert (result.intact, result.broken_at, result.problem) == (
        False,
        ids[1],
        "position 1 is missing",
    )


def test_unreadable_entries_beyond_one_read_batch_are_found_in_order():
    """A batch that fails to read is read again one row at a time: the report still names the
    first bad entry, and a hash mismatch before it comes first."""
    ids = _entries()
    unreadable = "'yesterday'" if VENDOR == "sqlite" else "'infinity'"
    with _tampered(
        [_entry("at", unreadable), _entry("actor", "'staff:mallory'").replace("{id}", str(ids[1]))],
        ids[4],
    ):
        first = audit_verify(chunk=4)
    assert (first.broken_at, first.problem, first.checked) == (ids[1], MISMATCH, 1)
    with _tampered([_entry("at", unreadable)], ids[4]):
        second = audit_verify(chunk=4)
    assert (second.broken_at, second.problem, second.checked) == (
        ids[4],
        "its at cannot be read",
        4,
    )


@pytest.mark.usefixtures("committed_db")
def test_the_command_reports_an_unreadable_timestamp_in_one_line():
    ids = _entries()
    audit_triggers_drop()  # the fixture puts them back
    unreadable = "'next tuesday'" if VENDOR == "sqlite" else "'infinity'"
    with connection.cursor() as cursor:
        cursor.execute(_entry("at", unreadable).replace("{id}", str(ids[2])))
    done = waarborg("audit", "verify")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip() == (
        f"chain broken at entry {ids[2]}: its at cannot be read (2 entries before it are intact)"
    )


def test_a_database_without_the_log_is_an_error_not_tampering(tmp_path):
    """Exit 2 and one line: nothing can be said about the chain when there is no log to read."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    done = subprocess.run(
        [str(WAARBORG), "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip() == "the audit log cannot be read: no such table: audit_auditentry"
