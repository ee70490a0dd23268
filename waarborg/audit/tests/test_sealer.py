"""The background sealer a web server uses: requests append, one thread per process seals."""

from __future__ import annotations

import pytest

from waarborg.audit.selectors import audit_verify
from waarborg.audit.services import (
    BackgroundSealer,
    audit_record,
    sealer_use_background,
    sealer_use_inline,
)
from waarborg.audit.tests.support import committed_db  # noqa: F401
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
