"""Reading one subject with its state for one purpose in a single query, for the gate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.db import connection

from waarborg.core.sql import sql_run
from waarborg.vault.models import PurposeState, Subject

# What the decision and the decryption need of a subject, in the model's field order (so the row
# can become a Subject with the others deferred), and of its state for the purpose asked about.
_SUBJECT_READ = (
    "id",
    "kind",
    "product",
    "values",
    "wrapped_dek",
    "kek_id",
    "restricted_at",
    "erased_at",
)
_SUBJECT_FIELDS: list[Any] = [
    f for f in Subject._meta.concrete_fields if f.attname in _SUBJECT_READ
]
_STATE_FIELDS: list[Any] = [
    PurposeState._meta.get_field(n) for n in ("id", "consent", "objected", "compelling_grounds")
]

Converter = Callable[[Any, Any, Any], Any]
_converters: dict[str, list[tuple[int, Any, list[Converter]]]] = {}


_fetch_sqls: dict[str, str] = {}  # per database vendor: built once, used on every read


def _fetch_sql() -> str:
    found = _fetch_sqls.get(connection.vendor)
    if found is None:
        q = connection.ops.quote_name
        subject = ", ".join(f"s.{q(f.column)}" for f in _SUBJECT_FIELDS)
        state = ", ".join(f"st.{q(f.column)}" for f in _STATE_FIELDS)
        found = (
            f"SELECT {subject}, {state} FROM {q(Subject._meta.db_table)} s "  # noqa: S608 - ours
            f"LEFT JOIN {q(PurposeState._meta.db_table)} st "
            "ON st.subject_id = s.id AND st.purpose = %s WHERE s.id = %s"
        )
        _fetch_sqls[connection.vendor] = found
    return found


def _row_converters() -> list[tuple[int, Any, list[Converter]]]:
    """The columns the ORM would convert (JSON, dates and UUIDs on SQLite, booleans), with their
    position and converters, worked out once per database backend."""
    found = _converters.get(connection.vendor)
    if found is None:
        found = []
        for i, field in enumerate([*_SUBJECT_FIELDS, *_STATE_FIELDS]):
            col = field.get_col(field.model._meta.db_table)
            converters = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
            if converters:
                found.append((i, col, converters))
        _converters[connection.vendor] = found
    return found


def subject_with_state(
    subject_id: UUID, purpose: str
) -> tuple[Subject, PurposeState | None] | None:
    """One query: the subject with its state for this purpose (a LEFT JOIN on the primary key;
    measured at about half the time of the same query built with FilteredRelation). Read with a
    plain cursor: ``Subject.objects.raw`` cost about 100 us more per read."""
    pk = Subject._meta.pk.get_db_prep_value(subject_id, connection)
    row = sql_run(_fetch_sql(), [purpose, pk], fetch=True)
    if row is None:
        return None
    values = list(row)
    for i, col, converters in _row_converters():
        for convert in converters:
            values[i] = convert(values[i], col, connection)
    split = len(_SUBJECT_FIELDS)
    subject = Subject.from_db(connection.alias, list(_SUBJECT_READ), values[:split])
    state_id, consent, objected, grounds = values[split:]
    if state_id is None:
        return subject, None
    state = PurposeState(
        id=state_id,
        subject=subject,
        purpose=purpose,
        consent=consent,
        objected=objected,
        compelling_grounds=grounds,
    )
    return subject, state
