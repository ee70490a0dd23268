"""The restore marker: a table that ``backup restore`` writes before any restored data is in the
database and drops once its replay of the erasure ledger has finished. While it exists the
database may still hold people who were erased after the backup was made, so nothing serves it:
the system check (``check``, ``runserver``, every command but ``backup``), the start-up of
``waarborg.wsgi``, and a guard on every new database connection of a server process, which
also covers a server that was already running when the restore began.

A plain table, not a model: no dumped database may contain it, and ``pg_restore`` must be able
to load a dump beside it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

MARKER = "waarborg_restore_pending"
LOADING, REPLAYING = "loading", "replaying"
_CREATE = (
    f"CREATE TABLE IF NOT EXISTS {MARKER} (backup_id varchar(64) NOT NULL, "
    "backup_made varchar(64) NOT NULL, started_at varchar(64) NOT NULL, state varchar(16) NOT NULL)"
)
_INSERT = (
    f"INSERT INTO {MARKER} (backup_id, backup_made, started_at, state) VALUES (%s, %s, %s, %s)"  # noqa: S608
)


@dataclass(frozen=True)
class Marker:
    backup_id: str
    backup_made: str
    started_at: str
    state: str  # LOADING (PostgreSQL, until pg_restore has committed) or REPLAYING


class RestoreUnfinished(OperationalError):
    """Raised on a server's new connection to a database whose restore has not finished; the
    server answers 503, as when the database is away."""


def _exists(conn: BaseDatabaseWrapper) -> bool:
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [MARKER])
        else:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = %s", [MARKER]
            )
        row = cursor.fetchone()
    return bool(row and row[0])


def marker_read() -> Marker | None:
    if not _exists(connection):
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT backup_id, backup_made, started_at, state FROM {MARKER}")  # noqa: S608
        row = cursor.fetchone()
    return Marker(*map(str, row)) if row else Marker("?", "?", "?", REPLAYING)


def marker_write(marker: Marker, *, sqlite: sqlite3.Connection | None = None) -> None:
    """Write the marker, committed, into the configured database or into ``sqlite``."""
    values = [marker.backup_id, marker.backup_made, marker.started_at, marker.state]
    if sqlite is not None:
        sqlite.execute(_CREATE)
        sqlite.execute(f"DELETE FROM {MARKER}")  # noqa: S608
        sqlite.execute(_INSERT.replace("%s", "?"), values)
        sqlite.commit()
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_CREATE)
        cursor.execute(f"DELETE FROM {MARKER}")  # noqa: S608
        cursor.execute(_INSERT, values)


def marker_state(state: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {MARKER} SET state = %s", [state])  # noqa: S608


def marker_drop() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {MARKER}")


def _sentence(marker: Marker) -> str:
    return (
        f"this database is a restored backup (made {marker.backup_made}) whose replay of the "
        f"erasure ledger has not finished (restore started {marker.started_at}); it may still hold "
        "people who were erased. Run 'waarborg backup restore FILE' again with the same backup "
        "file to finish it before serving this database."
    )


def restore_refusal() -> str | None:
    """Why this database must not be served, or None. Also None when the database cannot be
    asked (a SQLite file that does not exist, a server that does not answer): then there is
    nothing to serve, and a server's connection guard asks again when it connects."""
    if connection.vendor == "sqlite" and not Path(str(connection.settings_dict["NAME"])).exists():
        return None
    try:
        marker = marker_read()
    except DatabaseError:
        return None
    return _sentence(marker) if marker else None


def _guard(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if connection.alias == "default" and _exists(connection):
        connection.close()  # the next request connects, and asks, again
        raise RestoreUnfinished(
            "the database is a restored backup whose replay of the erasure ledger is unfinished"
        )


def restore_guard_install() -> None:
    """Refuse every new connection of this process to a database with the marker (a server
    calls this at start-up)."""
    connection_created.connect(_guard, dispatch_uid="waarborg-restore-guard")
