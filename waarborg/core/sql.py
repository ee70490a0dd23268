"""One SQL statement on the hot paths (the gate's read, the audit log's append), prepared once
per connection on PostgreSQL.

Django's PostgreSQL cursor binds parameters on the client, so the server parses and plans the
same text on every read, and psycopg rebuilds the query string in Python each time. These two
statements run on every read of personal data, so on PostgreSQL they go through a server-side
prepared statement instead (measured in-process: 230 -> 150 us of Python for the pair; the
server skips the parse and plan). Errors are Django's, as from any cursor. Django's own cursor
is used on SQLite, with ``WAARBORG_DB_PREPARE=0`` (a connection pooler in transaction mode that
cannot carry prepared statements), and while queries are being logged or wrapped (debug, tests
that count queries), so every query stays visible there."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

try:
    from psycopg import Cursor as _PreparingCursor
except ImportError:  # pragma: no cover - psycopg is a dependency; SQLite-only installs still run
    _PreparingCursor = None  # type: ignore[assignment,misc]


_THRESHOLD = 5  # psycopg's default; these statements ask to be prepared at once anyway


def sql_run(sql: str, params: Sequence[Any], *, fetch: bool = False) -> tuple[Any, ...] | None:
    """Run one statement (``%s`` placeholders) in the caller's transaction; its first row when
    ``fetch``, else None."""
    db = connections[DEFAULT_DB_ALIAS]  # once: every attribute of the proxy is a lookup
    if (
        db.vendor != "postgresql"
        or _PreparingCursor is None
        or not settings.WAARBORG_DB_PREPARE
        or db.queries_logged
        or db.execute_wrappers
    ):
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone() if fetch else None
    # What Django's cursor() checks first, in its order.
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_no_broken_transaction()
    db.validate_thread_sharing()
    raw = db.connection
    if raw.prepare_threshold is None:  # Django's default, under which psycopg prepares nothing
        raw.prepare_threshold = _THRESHOLD  # Django's own cursors bind on the client: unaffected
    with db.wrap_database_errors, _PreparingCursor(raw) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchone() if fetch else None
