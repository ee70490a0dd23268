"""The background sealer a web server uses: requests append, one thread per process seals."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction

from waarborg.audit.selectors import audit_verify
from waarborg.audit.services import (
    SEAL_LATE_EVERY,
    BackgroundSealer,
    audit_record,
    audit_seal,
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


@on_postgresql
@pytest.mark.usefixtures("committed_db")
def test_an_entry_committed_after_later_ones_were_sealed_joins_the_chain_later():
    """A longer transaction's entry gets its id early and commits late; the chain head has moved
    past it by then. Runs look above the head only, so it waits for the wider look, at most
    SEAL_LATE_EVERY seconds later."""
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
    # A day ahead of the real clock, so the first run below is due for the wider look.
    with time_machine.travel(datetime.now(UTC) + timedelta(days=1), tick=False) as clock:
        _read(3)
        audit_seal()
        assert audit_verify().unsealed == 0  # the slow entry is not committed yet
        release.set()
        worker.join(30)
        audit_seal()
        assert audit_verify().unsealed == 1  # below the head: not in a run's range
        clock.shift(SEAL_LATE_EVERY)
        assert audit_seal() == 1
    result = audit_verify()
    assert (result.checked, result.unsealed, result.intact) == (4, 0, True)
