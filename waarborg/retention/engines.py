"""The database underneath a backup: dumping it, loading a dump into an empty one, and a
throw-away database for ``backup verify``. PostgreSQL through ``pg_dump``/``pg_restore``, SQLite
through its online backup API. The restore marker lives in ``markers.py``.

PostgreSQL dumps use pg_dump's custom format rather than plain SQL: pg_dump compresses it itself
(no separate compression pass in this process), ``pg_restore --single-transaction`` loads it all
or nothing, and owners and privileges are left out at restore time (``--no-owner
--no-privileges``), so a dump can go into a database owned by another role.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from django.db import connection

from waarborg.retention.markers import MARKER, Marker, marker_write
from waarborg.retention.sealed import CHUNK, BackupError

Progress = Callable[[str], None]
_MIB = 1 << 20
_PG_OPTIONS = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT"}


@dataclass(frozen=True)
class Scratch:
    """A throw-away database for ``backup verify``: its ``DATABASE_URL``, and the hash of the
    audit seal at a position (None when there is none)."""

    url: str
    seal_hash: Callable[[int], str | None]


class _Meter:
    """Counts bytes and tells ``progress`` at most once per ``seconds``, so long work shows
    that it is moving."""

    def __init__(self, progress: Progress, verb: str, seconds: float = 2.0) -> None:
        self.progress, self.verb, self.seconds = progress, verb, seconds
        self.done, self.last = 0, time.monotonic()

    def add(self, size: int) -> None:
        self.done += size
        self.due(lambda: f"  {self.done / _MIB:,.0f} MiB {self.verb}")

    def due(self, message: Callable[[], str]) -> None:
        now = time.monotonic()
        if now - self.last >= self.seconds:
            self.last = now
            self.progress(message())


def _last_lines(err: IO[bytes]) -> str:
    err.seek(0)
    lines = err.read().decode("utf-8", "replace").strip().splitlines()
    return " / ".join(lines[-3:]) or "no message"


class Engine:
    """The configured database (``DATABASES['default']``)."""

    vendor = ""

    def __init__(self) -> None:
        self.settings: dict[str, Any] = connection.settings_dict

    @property
    def name(self) -> str:
        return str(self.settings["NAME"])

    def dump(self, progress: Progress) -> Iterator[bytes]:
        raise NotImplementedError

    def empty(self) -> bool:
        """Whether the database holds nothing but (perhaps) the restore marker."""
        raise NotImplementedError

    def load(self, stream: Iterator[bytes], marker: Marker, progress: Progress) -> None:
        """Load the dump into this (empty) database; the marker is there before any data is."""
        raise NotImplementedError

    def locked(self) -> Any:
        """A context in which no other restore runs on this database."""
        raise NotImplementedError

    def scratch(self, stream: Iterator[bytes], progress: Progress) -> Any:
        """A context with a ``Scratch``: a throw-away database holding the dump."""
        raise NotImplementedError


def engine_current() -> Engine:
    if connection.vendor == "postgresql":
        return PostgreSQL()
    if connection.vendor == "sqlite":
        return SQLite()
    raise BackupError(f"backups of a {connection.vendor} database are not supported")


class PostgreSQL(Engine):
    vendor = "postgresql"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
            if self.settings.get(key):
                env[variable] = str(self.settings[key])
        if self.settings.get("PASSWORD"):
            env["PGPASSWORD"] = str(self.settings["PASSWORD"])  # the environment, not argv
        for option, variable in _PG_OPTIONS.items():
            if option in self.settings.get("OPTIONS", {}):
                env[variable] = str(self.settings["OPTIONS"][option])
        return env

    def dump(self, progress: Progress) -> Iterator[bytes]:
        meter = _Meter(progress, "dumped")
        command = ["pg_dump", "--format=custom", "--no-password", f"--dbname={self.name}"]
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(  # noqa: S603 - our own argv, no shell
                command, stdout=subprocess.PIPE, stderr=err, env=self._env()
            )
            assert proc.stdout is not None
            try:
                while piece := proc.stdout.read(CHUNK):
                    meter.add(len(piece))
                    yield piece
            except BaseException:  # the reader gave up (or was stopped) before the end
                proc.kill()
                proc.wait()
                raise
            if proc.wait() != 0:
                raise BackupError(f"pg_dump failed: {_last_lines(err)}")

    def empty(self) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
                "AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp%%' "
                "AND c.relname <> %s",
                [MARKER],
            )
            row = cursor.fetchone()
        return bool(row and row[0] == 0)

    def load(self, stream: Iterator[bytes], marker: Marker, progress: Progress) -> None:
        marker_write(marker)  # committed first: a crash from here on leaves the marker
        self._restore(self.name, stream, progress)

    def _restore(self, name: str, stream: Iterator[bytes], progress: Progress) -> None:
        """pg_restore in one transaction: a failed or interrupted load leaves no data behind. The
        stream raises before its end if the file is damaged; pg_restore is then killed before
        it sees the end of its input, so it commits nothing."""
        command = ["pg_restore", "--no-owner", "--no-privileges", "--single-transaction"]
        command += ["--no-password", f"--dbname={name}"]
        meter = _Meter(progress, "loaded")
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(  # noqa: S603 - our own argv, no shell
                command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err,
                env=self._env(),
            )  # fmt: skip
            assert proc.stdin is not None
            try:
                for piece in stream:
                    proc.stdin.write(piece)
                    meter.add(len(piece))
                proc.stdin.close()
            except BrokenPipeError:
                pass  # pg_restore stopped; its own message says why
            except BaseException:
                proc.kill()
                proc.wait()
                raise
            if proc.wait() != 0:
                raise BackupError(f"pg_restore failed: {_last_lines(err)}")

    @contextmanager
    def locked(self) -> Iterator[None]:
        key = 0x5741_5245  # "WARE": one restore per database at a time
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            row = cursor.fetchone()
        if not (row and row[0]):
            raise BackupError("another restore into this database is running")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])

    def url(self, name: str) -> str:
        user = quote(str(self.settings.get("USER") or ""))
        password = self.settings.get("PASSWORD")
        auth = f"{user}:{quote(str(password))}@" if password else (f"{user}@" if user else "")
        host = self.settings.get("HOST") or "localhost"
        port = self.settings.get("PORT") or 5432
        query = "&".join(
            f"{k}={quote(str(v))}" for k, v in self.settings.get("OPTIONS", {}).items()
        )
        return f"postgresql://{auth}{host}:{port}/{quote(name)}" + (f"?{query}" if query else "")

    def _seal_hash(self, name: str, position: int) -> str | None:
        import psycopg

        with psycopg.connect(self.url(name), connect_timeout=10) as conn:
            row = conn.execute(
                "SELECT hash FROM audit_auditseal WHERE position = %s", [position]
            ).fetchone()
        return str(row[0]) if row else None

    @contextmanager
    def scratch(self, stream: Iterator[bytes], progress: Progress) -> Iterator[Scratch]:
        name = f"waarborg_verify_{secrets.token_hex(6)}"
        with connection.cursor() as cursor:
            try:
                cursor.execute(f'CREATE DATABASE "{name}"')
            except Exception as exc:
                raise BackupError(
                    f"verify needs a scratch database and cannot create one ({exc}); the "
                    "database user needs the CREATEDB right"
                ) from None
        try:
            self._restore(name, stream, progress)
            yield Scratch(self.url(name), lambda position: self._seal_hash(name, position))
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class SQLite(Engine):
    vendor = "sqlite"

    @property
    def path(self) -> Path:
        return Path(self.name).resolve()

    def dump(self, progress: Progress) -> Iterator[bytes]:
        """A consistent copy made with the online backup API next to the database (so it lies
        nowhere the database does not), streamed, then removed."""
        if not self.path.is_file():
            raise BackupError(f"the database {self.path} does not exist")
        meter = _Meter(progress, "copied")

        def step(status: int, remaining: int, total: int) -> None:
            meter.due(lambda: f"  {100 * (total - remaining) // max(total, 1)}% copied")

        fd, name = tempfile.mkstemp(dir=self.path.parent, prefix=".backup-", suffix=".sqlite3")
        os.close(fd)
        copy = Path(name)
        try:
            source = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            target = sqlite3.connect(copy)
            try:
                source.backup(target, pages=4096, progress=step)
            finally:
                target.close()
                source.close()
            with copy.open("rb") as data:
                while piece := data.read(CHUNK):
                    yield piece
        finally:
            _remove(copy)

    def empty(self) -> bool:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return True
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name <> %s", [MARKER])
            row = cursor.fetchone()
        return bool(row and row[0] == 0)

    def _write(self, stream: Iterator[bytes], folder: Path, progress: Progress) -> Path:
        meter = _Meter(progress, "loaded")
        fd, name = tempfile.mkstemp(dir=folder, prefix=".restore-", suffix=".sqlite3")
        try:
            with os.fdopen(fd, "wb") as out:
                for piece in stream:
                    out.write(piece)
                    meter.add(len(piece))
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            _remove(Path(name))
            raise
        return Path(name)

    def load(self, stream: Iterator[bytes], marker: Marker, progress: Progress) -> None:
        """The dump is written beside the database and checked to the end first; the marker
        goes into that copy, and one backup step then copies it all into the database, so the
        database never holds the data without the marker."""
        copy = self._write(stream, self.path.parent, progress)
        try:
            source = sqlite3.connect(copy)
            try:
                marker_write(marker, sqlite=source)
                connection.close()
                target = sqlite3.connect(self.path)
                try:
                    source.backup(target)  # all pages in one step: one transaction
                finally:
                    target.close()
            finally:
                source.close()
        finally:
            _remove(copy)

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as held:  # an empty file is an empty SQLite database
            try:
                fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BackupError("another restore into this database is running") from None
            yield

    @contextmanager
    def scratch(self, stream: Iterator[bytes], progress: Progress) -> Iterator[Scratch]:
        copy = self._write(stream, self.path.parent, progress)

        def seal_hash(position: int) -> str | None:
            with closing(sqlite3.connect(f"file:{copy}?mode=ro", uri=True)) as conn:
                row = conn.execute(
                    "SELECT hash FROM audit_auditseal WHERE position = ?", [position]
                ).fetchone()
            return str(row[0]) if row else None

        try:
            yield Scratch(f"sqlite:///{copy}", seal_hash)
        finally:
            _remove(copy)


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
