"""The background sealer a web server uses: requests append, one thread per process seals."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from waarborg.audit import services
from waarborg.audit.models import AuditSeal
from waarborg.audit.selectors import audit_verify
from waarborg.audit.services import (
    _COLUMNS,
    _FIELDS,
    BackgroundSealer,
    audit_record,
    audit_seal,
    sealer_leave_to_loop,
    sealer_use_background,
    sealer_use_inline,
)
from waarborg.audit.tests.support import committed_db, on_postgresql  # noqa: F401
from waarborg.conftest import staff

SUPPORT = staff("support")


def _read(n: int) -> None:
    for _ in range(n):
        audit_record(actor=SUPPORT, action="test.read", purpose="administration", fields=["name"])


@pytest.mark.usefixtures("committed_db")
def test_the_background_thread_seals_what_requests_committed():
    sealer = sealer_use_background(BackgroundSealer(interval=0))
    try:
        _read(3)
        assert sealer.wait_sealed(3, timeout=30), "the sealer thread did not seal"
        _read(2)
        # Every entry is sealed by the thread, none by the committing thread.
        assert sealer.wait_sealed(5, timeout=30)
    finally:
        sealer_use_inline()
    result = audit_verify()
    assert (result.checked, result.unsealed, result.intact) == (5, 0, True)


@pytest.mark.usefixtures("committed_db")
def test_a_server_that_leaves_sealing_to_the_loop_only_appends():
    """WAARBORG_SEAL_IN_SERVER=0: the reads are logged at once, chained only by the loop."""
    services._last_seal[0] = 0.0  # an inline sealer would be due now
    sealer_leave_to_loop()
    try:
        _read(4)
        assert audit_verify().unsealed == 4
    finally:
        sealer_use_inline()
    assert audit_seal() == 4  # what 'waarborg audit seal --every N' does beside the server
    result = audit_verify()
    assert (result.checked, result.unsealed, result.intact) == (4, 0, True)


def _entry_with_id(pk: int) -> None:
    """An entry with a chosen id, committed now: how a longer transaction's entry looks to the
    sealer (its id was taken early, its commit comes late)."""
    values = [timezone.now(), "job:test", None, "administration", "test.read", [], "", "", {}]
    params = [
        _FIELDS[n].get_db_prep_save(v, connection) for n, v in zip(_COLUMNS, values, strict=True)
    ]
    names = ", ".join(connection.ops.quote_name(c) for c in ("id", *_COLUMNS))
    marks = ", ".join(["%s"] * (len(_COLUMNS) + 1))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO audit_auditentry ({names}) VALUES ({marks})", [pk, *params])


@pytest.mark.usefixtures("committed_db")
def test_a_late_entry_joins_the_chain_at_the_wide_look_and_later_runs_go_on(monkeypatch):
    due = [float("-inf")]  # this process's last wide look: long ago, so the next run is due
    monkeypatch.setattr(services, "_late_looked", due)
    for pk in (10, 11, 12):
        _entry_with_id(pk)
    assert audit_seal() == 3
    _entry_with_id(5)  # commits after 10-12 were sealed
    assert audit_seal() == 0  # a run looks above the highest sealed id only
    due[0] = float("-inf")
    assert audit_seal() == 1  # the wide look finds it; it takes the next position
    _entry_with_id(13)
    assert audit_seal() == 1  # and the next run seals 13 alone, not 10-12 again
    assert list(AuditSeal.objects.order_by("position").values_list("entry_id", flat=True)) == [
        10,
        11,
        12,
        5,
        13,
    ]
    result = audit_verify()
    assert (result.checked, result.unsealed, result.intact) == (5, 0, True)


@on_postgresql
@pytest.mark.usefixtures("committed_db")
def test_an_entry_committed_after_later_ones_were_sealed_joins_the_chain_later(monkeypatch):
    """The same with a real transaction held open by a second connection."""
    due = [float("-inf")]
    monkeypatch.setattr(services, "_late_looked", due)
    holding, release = threading.Event(), threading.Event()

    def slow() -> None:
        try:
            with transaction.atomic():
                audit_record(actor=SUPPORT, action="test.slow", purpose="administration")
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    worker = threading.Thread(target=slow)
    worker.start()
    assert holding.wait(30)
    _read(3)
    audit_seal()
    assert audit_verify().unsealed == 0  # the slow entry is not committed yet
    release.set()
    worker.join(30)
    audit_seal()
    assert audit_verify().unsealed == 1  # below the sealed ids: not in a run's range
    due[0] = float("-inf")
    assert audit_seal() == 1
    _read(1)
    audit_seal()
    result = audit_verify()
    assert (result.checked, result.unsealed, result.intact) == (5, 0, True)
