"""Writing the audit log and sealing it into a hash chain.

Appending is a plain INSERT in the caller's transaction, so audited requests never wait on one
another. The sealer gives committed entries their chain position and hash in batches; only one
sealer runs at a time. In a web server (``waarborg.wsgi``) a background thread per process seals
after commits, at most once per SEAL_INTERVAL, so no request waits for it (sealing inside the
request that happened to come due added 30-50 ms to that request). Commands and tests seal in the
committing thread instead, so a short-lived process leaves nothing unsealed. ``waarborg audit
seal`` runs it on demand or in a loop; ``audit verify`` reports entries not sealed yet.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, close_old_connections, connection, connections, transaction
from django.db.models import Exists, Field, Max, OuterRef, QuerySet
from django.utils import timezone

from waarborg.audit.models import CANONICAL_COLUMNS, AuditEntry, AuditSeal, canonical_entry
from waarborg.core.actors import Actor
from waarborg.core.sql import sql_run

GENESIS = "0" * 64
# Entries are looked for among the newest SEAL_WINDOW ids; ``audit seal --all`` scans everything.
SEAL_WINDOW = 10_000
SEAL_INTERVAL = 0.5  # seconds between after-commit sealing runs in one process
# Most runs seal only entries above the highest sealed entry id (an index range). An entry that
# commits after later ones were sealed (a longer transaction) is found by the anti-join over the
# window, run at most this often per process (it cost 5-13 ms per run at 270k entries, the range
# well under 1 ms); a background sealer also wakes this often by itself, so the look always comes.
SEAL_LATE_EVERY = 2.0
_late_looked = [float("-inf")]  # time.monotonic() of this process's last wide look
_LOCK_KEY = 0x5741_4152  # pg advisory lock id for the sealer ("WAAR")

logger = logging.getLogger("waarborg.audit")


_COLUMNS = CANONICAL_COLUMNS[1:]  # all but the id, which the database gives


# A NUL byte (refused by PostgreSQL) and a lone UTF-16 surrogate (no UTF-8 encoder takes it, so
# neither the database nor the sealer's hash could) are stored as U+FFFD.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _text(value: str, limit: int) -> str:
    """The log must accept whatever a caller was asked about: a purpose typed into a URL can hold
    a character no database takes or be longer than the column."""
    return _UNSTORABLE.sub("\ufffd", value)[:limit]


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


_FIELDS: dict[str, Field[Any, Any]] = {
    f.name: f for f in AuditEntry._meta.concrete_fields if f.name in _COLUMNS
}


_insert_sqls: dict[str, str] = {}  # per database vendor: built once, used on every read


def _insert_sql() -> str:
    found = _insert_sqls.get(connection.vendor)
    if found is None:
        table = connection.ops.quote_name(AuditEntry._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
        marks = ", ".join(["%s"] * len(_COLUMNS))
        found = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - names are ours
        _insert_sqls[connection.vendor] = found
    return found


def audit_record(
    *,
    actor: Actor,
    action: str,
    subject_id: UUID | None = None,
    purpose: str = "",
    fields: Sequence[str] = (),
    decision: str = "",
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one entry in the caller's transaction.

    A single prepared INSERT without RETURNING: this runs on every read of personal data, and
    the ORM's ``create`` measured about twice as slow for the same row."""
    values = {
        "at": timezone.now(),
        "actor": _text(actor.label, 200),
        "subject_id": subject_id,
        "purpose": _text(purpose, 64),
        "action": _text(action, 64),
        "fields": [_text(f, 200) for f in sorted(fields)],
        "decision": _text(decision, 16),
        "reason": _text(reason, 64),
        "detail": _clean(detail or {}),
    }
    db = connections[DEFAULT_DB_ALIAS]  # resolved once, not per column (each is a lookup)
    params = [_FIELDS[name].get_db_prep_save(values[name], db) for name in _COLUMNS]
    sql_run(_insert_sql(), params)
    _seal_after_commit()


def audit_record_many(entries: Iterable[AuditEntry]) -> int:
    """Bulk append for jobs that touch many subjects at once (demo data, sweeps)."""
    created = AuditEntry.objects.bulk_create(list(entries), batch_size=2000)
    _seal_after_commit()
    return len(created)


def audit_entry(
    *,
    actor: Actor,
    action: str,
    subject_id: UUID | None,
    purpose: str = "",
    fields: Sequence[str] = (),
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """An unsaved entry for ``audit_record_many``."""
    return AuditEntry(
        at=timezone.now(),
        actor=actor.label,
        subject_id=subject_id,
        purpose=purpose,
        action=action,
        fields=sorted(fields),
        decision="",
        reason="",
        detail=detail or {},
    )


class BackgroundSealer:
    """A daemon thread that seals after it is woken, then rests ``interval`` seconds.

    Woken after every commit that added entries; wakes during a run or a rest are merged into
    the next run. Started lazily in the process that wakes it, so a server that forks its workers
    after loading the application still gets one thread per worker."""

    def __init__(self, interval: float = SEAL_INTERVAL) -> None:
        self.interval = interval
        self.sealed = 0  # entries this thread sealed
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._stop = False
        self._pid = 0
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def _running(self) -> bool:
        return self._pid == os.getpid() and self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        if self._stop:
            return
        if not self._running():
            with self._start_lock:
                # First wake, a child forked after loading, or a thread that died.
                if not self._running():
                    self._wake = threading.Event()
                    self._thread = threading.Thread(
                        target=self._run, name="waarborg-audit-sealer", daemon=True
                    )
                    first_here = self._pid != os.getpid()
                    self._pid = os.getpid()
                    self._thread.start()
                    if first_here:
                        atexit.register(self._last_run)
        self._wake.set()

    def wait_sealed(self, count: int, timeout: float) -> bool:
        """Wait until this thread has sealed ``count`` entries; False if ``timeout`` passed."""
        with self._idle:
            return self._idle.wait_for(lambda: self.sealed >= count, timeout=timeout)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop = True
        self._wake.set()
        if self._thread is not None and self._pid == os.getpid():
            self._thread.join(timeout)

    def _last_run(self) -> None:
        """At a clean exit (a worker restarted, the server stopped), seal what is still pending
        instead of leaving it to the next run of some other sealer."""
        if self._stop:
            return
        self.stop(timeout=2.0)
        try:
            audit_seal()
        except Exception:
            logger.exception("sealing the audit log at exit failed; entries stay pending")

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait(timeout=SEAL_LATE_EVERY)  # by itself too, for the wider look
            self._wake.clear()
            if self._stop:
                break
            count = 0
            try:
                count = audit_seal()
            except Exception:  # the entries stay pending; the next run seals them
                logger.exception("sealing the audit log failed; entries stay pending")
            try:
                close_old_connections()  # this thread's own connection, kept per CONN_MAX_AGE
            except Exception:
                logger.exception("closing the audit sealer's database connection failed")
            with self._idle:
                self.sealed += count
                self._idle.notify_all()
            time.sleep(self.interval)
        connection.close()


_background: list[BackgroundSealer] = []


def sealer_use_background(sealer: BackgroundSealer | None = None) -> BackgroundSealer:
    """Seal in a background thread from now on in this process (``waarborg.wsgi`` calls this)."""
    _background[:] = [sealer or BackgroundSealer()]
    return _background[0]


def sealer_use_inline() -> None:
    """Seal in the committing thread again (the default; tests that tried the thread call it)."""
    for sealer in _background:
        sealer.stop()
    _background.clear()
    _elsewhere[0] = False


def sealer_leave_to_loop() -> None:
    """Never seal in this process: a separate ``waarborg audit seal --every N`` does it
    (``WAARBORG_SEAL_IN_SERVER=0``). The server's processes then only append, and the chain's
    hashing takes no time from the threads that answer requests."""
    sealer_use_inline()
    _elsewhere[0] = True


_last_seal = [0.0]
_elsewhere = [False]  # sealer_leave_to_loop() was called


def sealer_not_inline() -> bool:
    """Whether this process's entries are sealed by something other than the committing thread
    (its background thread, or the loop beside the server)."""
    return bool(_background) or _elsewhere[0]


def _seal_soon() -> None:
    if _elsewhere[0]:
        return
    if _background:
        _background[0].wake()
        return
    now = time.monotonic()
    if now - _last_seal[0] < SEAL_INTERVAL:
        return
    _last_seal[0] = now
    audit_seal()


def _seal_after_commit() -> None:
    if connection.in_atomic_block:
        transaction.on_commit(_seal_soon, robust=True)
    else:
        _seal_soon()


def chain_hash(
    prev_hash: str, position: int, canonical: dict[str, object], sealed_at: datetime | None
) -> str:
    """The hash of one link. It covers the sealing time too, so every column of both tables is
    protected; ``sealed_at=None`` gives the form of seals made before it did (the verifier
    accepts that form only at the start of a chain)."""
    link: dict[str, object] = {"position": position, "prev": prev_hash, "entry": canonical}
    if sealed_at is not None:
        link["sealed_at"] = sealed_at.isoformat()
    body = json.dumps(link, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def entry_hash(prev_hash: str, position: int, entry: AuditEntry, sealed_at: datetime) -> str:
    return chain_hash(prev_hash, position, entry.canonical(), sealed_at)


def _try_lock() -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite has one writer at a time; the transaction below serialises sealers
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_KEY])
        row = cursor.fetchone()
    return bool(row and row[0])


def _pending(top_entry_id: int | None, *, scan_all: bool, late: bool) -> QuerySet[AuditEntry]:
    """``top_entry_id``: the highest sealed entry id. Not the head's entry: a late entry sealed
    last has the highest position but a lower id than entries sealed before it."""
    if scan_all or top_entry_id is None:
        return AuditEntry.objects.filter(seal__isnull=True)
    if not late:
        return AuditEntry.objects.filter(id__gt=top_entry_id)
    # Bound both sides of the anti-join: without the bound on the seals, PostgreSQL hashes the
    # whole seal table on every run (measured 72 ms vs 7 ms at 186k).
    low = top_entry_id - SEAL_WINDOW
    above = AuditSeal.objects.filter(entry=OuterRef("pk"), entry_id__gt=low)
    return AuditEntry.objects.filter(id__gt=low).exclude(Exists(above))


def _seals_insert(params: Sequence[tuple[Any, ...]]) -> None:
    """Multi-row INSERTs of up to 500 seals, fewer where the database takes fewer parameters
    (an executemany of single rows spent about 40 us per seal in PostgreSQL)."""
    table = connection.ops.quote_name(AuditSeal._meta.db_table)
    names = ("position", "entry_id", "prev_hash", "hash", "sealed_at")
    columns = ", ".join(connection.ops.quote_name(c) for c in names)
    if connection.vendor == "postgresql" and len(params) > 50:
        # COPY: psycopg parses every multi-row INSERT's text anew, a third of a run's time.
        sql = f"COPY {table} ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in params:
                copy.write_row(row)
        return
    per_statement = min(500, (connection.features.max_query_params or 2500) // len(names))
    with connection.cursor() as cursor:
        for start in range(0, len(params), per_statement):
            chunk = params[start : start + per_statement]
            rows = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
            sql = f"INSERT INTO {table} ({columns}) VALUES {rows}"  # noqa: S608 - names are ours
            cursor.execute(sql, [value for row in chunk for value in row])


def audit_seal(*, batch: int = 5000, scan_all: bool = False) -> int:
    """Seal committed entries that have no chain position yet; returns how many were sealed.

    Rows come as tuples and seals go in as multi-row INSERTs: with model instances and
    ``bulk_create`` a run took about twice as long, and a web server's sealer runs twice a
    second."""
    sealed = 0
    sealed_at = AuditSeal._meta.get_field("sealed_at")
    late = scan_all or time.monotonic() - _late_looked[0] >= SEAL_LATE_EVERY
    while True:
        with transaction.atomic():
            if not _try_lock():
                return sealed  # another sealer is at work; a busy lock uses up no wide look
            if late:
                _late_looked[0] = time.monotonic()
            head = AuditSeal.objects.order_by("-position").values_list("position", "hash").first()
            top = AuditSeal.objects.aggregate(top=Max("entry_id"))["top"]
            pending = _pending(top, scan_all=scan_all, late=late).order_by("id")
            rows = list(pending.values_list(*CANONICAL_COLUMNS)[:batch])
            if not rows:
                return sealed
            position, prev = head if head else (0, GENESIS)
            now = timezone.now()
            stored_now = sealed_at.get_db_prep_save(now, connection)
            params = []
            for row in rows:
                position += 1
                digest = chain_hash(prev, position, canonical_entry(*row), now)
                params.append((position, row[0], prev, digest, stored_now))
                prev = digest
            _seals_insert(params)
            sealed += len(rows)
        if len(rows) < batch:
            return sealed
