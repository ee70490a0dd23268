"""Real processes for backup tests: the ``waarborg`` command on the test database (the source)
and on an empty database to restore into (the target), with a backup key and an erasure ledger
of the test's own."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import UUID

import psycopg
from django.conf import settings
from django.db import connection

WAARBORG = Path(sys.executable).with_name("waarborg")


def database_url(name: str | None = None) -> str:
    """The URL of the test database (or of another database on the same PostgreSQL server)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(name or db['NAME']).resolve()}"
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgresql://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{name or db['NAME']}"


@dataclass
class Setup:
    folder: Path
    ledger: Path
    key: Path
    source: str
    target: str

    def env(self, **changes: str) -> dict[str, str]:
        env = {
            **os.environ,
            "DATABASE_URL": self.source,
            "WAARBORG_ERASURE_LEDGER": str(self.ledger),
            "WAARBORG_BACKUP_KEY_FILE": str(self.key),
        }
        env.pop("WAARBORG_BACKUP_KEY", None)
        env.update(changes)
        return env

    def run(self, *args: str, **changes: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(WAARBORG), *args],
            cwd=settings.BASE_DIR,
            env=self.env(**changes),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def on_target(self, *args: str, **changes: str) -> subprocess.CompletedProcess[str]:
        return self.run(*args, **{"DATABASE_URL": self.target, **changes})

    def server_start(self) -> subprocess.CompletedProcess[str]:
        """What a server does first: load ``waarborg.wsgi`` (on the target)."""
        return subprocess.run(
            [sys.executable, "-c", "import waarborg.wsgi"],
            cwd=settings.BASE_DIR,
            env=self.env(DATABASE_URL=self.target),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def target_rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.target.startswith("sqlite"):
            path = self.target.removeprefix("sqlite:///")
            if not Path(path).exists():
                return []
            with closing(sqlite3.connect(path)) as conn:
                return conn.execute(sql).fetchall()
        with psycopg.connect(self.target) as conn:
            return conn.execute(sql).fetchall()

    def target_erased(self) -> dict[UUID, bool]:
        """Subject id -> erased (no data key left), as the restored database holds them."""
        rows = self.target_rows("SELECT id, wrapped_dek IS NULL FROM vault_subject")
        return {UUID(str(i)): bool(gone) for i, gone in rows}

    def target_tables(self) -> int:
        if self.target.startswith("sqlite"):
            return len(self.target_rows("SELECT name FROM sqlite_master WHERE type = 'table'"))
        rows = self.target_rows(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', "
            "'information_schema')"
        )
        return int(rows[0][0])

    def gate_view(self, *ids: UUID) -> dict[UUID, str]:
        """What support staff get from the gate on the restored database, per subject: the
        name, or the reason of the refusal."""
        script = (
            "from uuid import UUID\n"
            "from waarborg.core.actors import Actor\n"
            "from waarborg.gate.services import gate_fields\n"
            "staff = Actor(kind='staff', name='after-restore', roles=frozenset({'support'}))\n"
            f"for i in {[str(i) for i in ids]!r}:\n"
            "    got = gate_fields(actor=staff, purpose='administration', subject=UUID(i))\n"
            "    print(i, getattr(got, 'reason', None) or got.fields['name'])\n"
        )
        done = self.on_target("shell", "-c", script)
        assert done.returncode == 0, done.stderr
        found: dict[UUID, str] = {}
        for line in done.stdout.splitlines():
            first, _, rest = line.partition(" ")
            try:
                found[UUID(first)] = rest
            except ValueError:
                continue  # the shell's own words
        return found
