"""The hot statements' runner (``core.sql.sql_run``): prepared once per connection on PostgreSQL,
Django's cursor elsewhere, and Django's errors either way."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from waarborg.audit.tests.support import on_postgresql
from waarborg.core.sql import sql_run

pytestmark = pytest.mark.django_db

_PROBE = "SELECT %s::text || 'waarborg-sql-probe'"


def _prepared_here() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%waarborg-sql-probe%"],
        )
        return int(cursor.fetchone()[0])


def test_it_returns_the_first_row_and_runs_in_the_caller_s_transaction():
    assert sql_run(_PROBE.replace("::text", ""), ["a-"], fetch=True) == ("a-waarborg-sql-probe",)
    assert sql_run(_PROBE.replace("::text", ""), ["b-"]) is None


@on_postgresql
def test_on_postgresql_the_statement_is_prepared_once_and_reused(settings):
    before = _prepared_here()
    for n in range(3):
        assert sql_run(_PROBE, [str(n)], fetch=True) == (f"{n}waarborg-sql-probe",)
    assert _prepared_here() == before + 1


@on_postgresql
def test_it_can_be_switched_off_for_a_pooler(settings):
    settings.WAARBORG_DB_PREPARE = False
    before = _prepared_here()
    assert sql_run(_PROBE + " || 'off'", ["x"], fetch=True) == ("xwaarborg-sql-probeoff",)
    assert _prepared_here() == before


def test_queries_stay_visible_while_they_are_being_counted():
    with CaptureQueriesContext(connection) as seen:
        sql_run(_PROBE.replace("::text", ""), ["c-"], fetch=True)
    assert any("waarborg-sql-probe" in q["sql"] for q in seen.captured_queries)


def test_a_failing_statement_raises_django_s_error_not_the_driver_s():
    with pytest.raises(DatabaseError) as caught:
        sql_run("SELECT * FROM no_such_table_anywhere", [], fetch=True)
    assert type(caught.value).__module__ == "django.db.utils"
