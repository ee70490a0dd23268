from __future__ import annotations

from collections.abc import Iterator

import pytest

from waarborg.intake.tests.dovecot import DOVECOT, USERS, Dovecot, dovecot_run


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    if not DOVECOT.exists():
        pytest.skip(
            "Dovecot is not installed (apt-get install dovecot-imapd; make install adds it)"
        )
    yield from dovecot_run()


_users = iter(USERS)


@pytest.fixture
def imap_user(dovecot: Dovecot) -> str:
    """A mailbox of its own for each test."""
    return next(_users)
