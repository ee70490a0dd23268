"""Helpers for tests whose data must really be committed (other processes look at it)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from django.db import connection

# The trigger SQL lives in one place: the migration that installs it.
_append_only = importlib.import_module("waarborg.audit.migrations.0002_append_only")

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (run with a postgresql:// URL)"
)
on_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="needs SQLite (run with a sqlite:/// URL)"
)


class _Executor:
    """What the migration's functions need of a schema editor; plain SQL, so it also works
    inside a test's transaction (SQLite's schema editor refuses to run there)."""

    connection = connection

    def execute(self, sql: str, params: object = None) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


def audit_triggers_drop() -> None:
    _append_only.backwards(None, _Executor())


def audit_triggers_create() -> None:
    _append_only.backwards(None, _Executor())
    _append_only.forwards(None, _Executor())


def audit_trigger_names() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                "AND tgrelid IN ('audit_auditentry'::regclass, 'audit_auditseal'::regclass)"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name IN ('audit_auditentry', 'audit_auditseal')"
            )
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def committed_db(transactional_db: None) -> Iterator[None]:
    """A database whose writes commit, so a subprocess or ``pg_dump`` sees them.

    Afterwards the append-only triggers are put back (a test may have dropped them). On SQLite
    Django empties tables with DELETE, which the triggers forbid, so the audit rows are removed
    here first with the triggers briefly lifted; PostgreSQL uses TRUNCATE, which row triggers
    do not see.
    """
    yield
    if connection.vendor == "sqlite":
        audit_triggers_drop()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditseal")
            cursor.execute("DELETE FROM audit_auditentry")
    audit_triggers_create()
