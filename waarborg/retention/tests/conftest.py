"""Fixtures of the backup tests: committed data (other processes read it) and a ``Setup``."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

from waarborg.audit.tests.support import committed_db  # noqa: F401 - fixture
from waarborg.retention.tests.support import WAARBORG, Setup, database_url


def _pg_admin(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.fixture
def setup(transactional_db: None, tmp_path: Path) -> Iterator[Setup]:
    """The key, the ledger (also for erasures in this process) and an empty target database."""
    key = tmp_path / "backup.key"
    done = subprocess.run(
        [str(WAARBORG), "keys", "generate"], capture_output=True, text=True, check=True
    )
    key.write_text(done.stdout)
    ledger = tmp_path / "ledger"
    if connection.vendor == "sqlite":
        target = database_url(str(tmp_path / "restored.sqlite3"))
        name = None
    else:
        name = f"{connection.settings_dict['NAME']}_restored"
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_admin(f'CREATE DATABASE "{name}"')
        target = database_url(name)
    with override_settings(WAARBORG_ERASURE_LEDGER=ledger):
        yield Setup(tmp_path, ledger, key, database_url(), target)
    if name:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
