"""Nothing serves a restored database whose erasure replay is unfinished, and nothing starts in
production without an erasure ledger."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.backends.signals import connection_created
from django.test import Client

from waarborg.retention.markers import (
    REPLAYING,
    Marker,
    marker_drop,
    marker_write,
    restore_guard_install,
)
from waarborg.retention.tests.support import WAARBORG


def _command(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "WAARBORG_ERASURE_LEDGER"}
    return subprocess.run(
        [str(WAARBORG), *args],
        cwd=settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_in_production_nothing_starts_without_an_erasure_ledger():
    done = _command("check")
    assert done.returncode == 2
    assert done.stderr.startswith(
        "waarborg: configuration error: WAARBORG_ERASURE_LEDGER is not set"
    )
    assert len(done.stderr.strip().splitlines()) == 1


def test_in_development_the_erasure_ledger_lives_under_var(tmp_path: Path):
    done = _command(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.WAARBORG_ERASURE_LEDGER)",
        WAARBORG_DEBUG="1",
        WAARBORG_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'dev.sqlite3'}",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == str(tmp_path / "erasures")


@pytest.fixture
def unfinished_restore(committed_db: None) -> Iterator[None]:
    marker_write(Marker("b1", "2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00", REPLAYING))
    yield
    connection_created.disconnect(dispatch_uid="waarborg-restore-guard")
    marker_drop()


@pytest.mark.usefixtures("unfinished_restore")
def test_a_running_server_answers_503_while_a_restore_is_unfinished():
    restore_guard_install()  # as waarborg.wsgi does at start-up
    connection.close()  # the server's next request opens a new connection

    answer = Client().get("/privacy", HTTP_ACCEPT_LANGUAGE="en")
    api = Client().get("/api/v1/policy", HTTP_AUTHORIZATION="Bearer wb_not-a-real-token")

    assert answer.status_code == 503
    assert api.status_code == 503
    assert api.json()["code"] == "database_unavailable"
