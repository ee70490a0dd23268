"""Retention sweep benchmark on PostgreSQL.

``sweep.postgresql.<N>``: ``retention_sweep`` of N due schedule rows, one subject each (claims
in batches by conditional UPDATE, crypto-shredding, one audit entry per subject sealed into the
chain, the erasure ledger fsynced per batch, the certificate) vs a raw ``DELETE FROM
vault_subject`` of the same subjects in one statement. Target ratio <= 2.
``sweep.postgresql.<N>.vs_floor``: the same sweep vs its **floor**, hand-written SQL doing the
minimum the invariants demand, in batches of the same size: per batch one statement that deletes
the subjects and inserts one audit row per erased subject (``WITH gone AS (DELETE ... RETURNING)
INSERT ... SELECT``), one append of their lines to the erasure ledger and one fsync, the commit.
``sweep.postgresql.memory``: the sweep's Python peak (tracemalloc, all threads) at N/5 vs at N/20
rows, both in batches of N/100 (flat: ratio <= 1.5).

Per phase, the sweep's time is printed too (claims, reading what still holds, shredding, audit
COPY, ledger, sealing the chain, certificate): what is above the floor and where.

The rows are filled with bulk SQL (``generate_series``) in a database of its own,
``waarborg_bench_sweep``; values are stand-in bytes (the sweep never decrypts). Default N
1,000,000, ``--quick`` 20,000. Rounds rotate the three sides and report medians.

Run: ``python -m bench.sweep_bench [--quick] [--count N] [--rounds R] [--batch B]
[--no-memory | --memory-only]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import SKIPPED, Entry, django_setup, pg_database, report, say

FULL, QUICK = 1_000_000, 20_000
BATCH = 10_000

FILL = """
INSERT INTO vault_subject (id, kind, product, values, wrapped_dek, kek_id, created_at,
    updated_at)
SELECT gen_random_uuid(), 'visitor', 'aplanner-free',
    '{"name": "stand-in ciphertext", "email": "stand-in ciphertext"}'::jsonb,
    '\\x000102030405060708090a0b0c0d0e0f'::bytea, 'bench', now() - interval '3 years',
    now() - interval '3 years'
FROM generate_series(1, %s);
INSERT INTO retention_retentionitem (subject_id, purpose, event, counted_from, due_at, hold,
    fields, outcome)
SELECT id, 'security', 'collection', created_at, created_at + interval '6 months', false,
    '[]'::jsonb, ''
FROM vault_subject;
ANALYZE vault_subject; ANALYZE retention_retentionitem;
"""
RAW = (
    "DELETE FROM vault_subject AS s USING retention_retentionitem AS i "
    "WHERE i.subject_id = s.id AND i.due_at <= now() AND i.done_at IS NULL"
)
# The floor, one batch: the due rows after the last one done, their subjects deleted, one audit
# row per deleted subject; answers the batch's last schedule row and each audit row.
FLOOR = """
WITH batch AS (
    SELECT id, subject_id FROM retention_retentionitem
    WHERE done_at IS NULL AND due_at <= now() AND id > %s ORDER BY id LIMIT %s
), gone AS (
    DELETE FROM vault_subject AS s USING batch WHERE s.id = batch.subject_id RETURNING s.id
), logged AS (
    INSERT INTO audit_auditentry (at, actor, subject_id, purpose, action, fields, decision,
        reason, detail)
    SELECT now(), 'job:bench-floor', id, '', 'subject.erase', '["email", "name"]'::jsonb, '', '',
        '{"reason": "retention period ended"}'::jsonb
    FROM gone RETURNING id, subject_id
)
SELECT (SELECT max(id) FROM batch), logged.id, logged.subject_id FROM logged
"""


def _reset(count: int) -> None:
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE retention_retentionitem, retention_sweeprun, retention_retentionclock, "
            "vault_purposeevent, vault_purposestate, vault_acceptance, vault_subject, "
            "audit_auditseal, audit_auditentry"
        )
        cursor.execute(FILL, [count])
        cursor.execute("CHECKPOINT")
    shutil.rmtree(str(settings.WAARBORG_ERASURE_LEDGER), ignore_errors=True)


class Phases:
    """Seconds spent in the sweep's parts (inclusive), by wrapping them in this process."""

    NAMES = {
        "claim": ("waarborg.retention.sweep", "_claim"),
        "holds": ("waarborg.retention.sweep", "_keeps"),
        "retire": ("waarborg.retention.sweep", "subjects_retire"),
        "audit_copy": ("waarborg.vault.retire", "_entries_write"),
        "ledger": ("waarborg.vault.retire", "erasure_records"),
        "seal": ("waarborg.audit.services", "audit_seal"),
        "certificate": ("waarborg.retention.sweep", "certificate_sign"),
    }

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        for name, (module, attr) in self.NAMES.items():
            self._wrap(name, sys.modules[module], attr)

    def _wrap(self, name: str, module: Any, attr: str) -> None:
        inner: Callable[..., Any] = getattr(module, attr)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.spent[name] += time.perf_counter() - started

        setattr(module, attr, timed)

    def line(self, total: float) -> str:
        parts = [f"{k} {v:.2f}" for k, v in self.spent.items()]
        inside = {"audit_copy", "ledger", "seal"}
        rest = total - sum(v for k, v in self.spent.items() if k not in inside)
        return ", ".join(parts) + (
            f", other {rest:.2f} (s; audit_copy and ledger are within retire; seal runs in its own"
            " thread alongside, then inline at the end)"
        )


def _sweep(
    count: int, *, trace: bool = False, batch: int = BATCH, phases: Phases | None = None
) -> tuple[float, int]:
    from waarborg.core.actors import Actor
    from waarborg.retention.sweep import retention_sweep

    _reset(count)
    if phases:
        phases.spent.clear()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    run = retention_sweep(actor=Actor.job("bench"), batch=batch, seal_behind=True)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    assert run is not None and run.summary["deletions"] == count
    if phases:
        say(f"    sweep phases: {phases.line(elapsed)}")
    return elapsed, peak


def _raw(count: int) -> float:
    from django.db import connection, transaction

    _reset(count)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(RAW)
        assert cursor.rowcount == count
    return time.perf_counter() - started


def _ledger_append(directory: Path, lines: bytes) -> None:
    fd = os.open(directory / "floor.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, lines)
        os.fsync(fd)
    finally:
        os.close(fd)


def _floor(count: int, *, batch: int = BATCH) -> float:
    from django.conf import settings
    from django.db import connection, transaction

    _reset(count)
    directory = Path(str(settings.WAARBORG_ERASURE_LEDGER))
    directory.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    last, erased = 0, 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(FLOOR, [last, batch])
            rows = cursor.fetchall()
            if not rows:
                break
            last = rows[0][0]
            at = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
            _ledger_append(
                directory,
                "".join(
                    f'{{"at":"{at}","audit_entry":{e},"subject":"{s}","what":"subject.erase"}}\n'
                    for _, e, s in rows
                ).encode(),
            )
            erased += len(rows)
    elapsed = time.perf_counter() - started
    assert erased == count, erased
    # What invariant 3 adds to any audited deletion: the entries chained (sealed) too.
    from waarborg.audit.services import audit_seal

    while audit_seal():
        pass
    _chained.append(time.perf_counter() - started)
    return elapsed


_chained: list[float] = []  # each floor run's time including sealing its audit rows


def _memory(count: int) -> Entry:
    """The Python peak (all threads, the chain's sealer too) at N/20 and N/5 rows, both in many
    batches of N/100 rows, so the figure shows growth with the rows, not with one batch."""
    size = max(100, count // 100)
    few, many = max(count // 20, 1), max(count // 5, 1)
    small = _sweep(few, trace=True, batch=size)[1]
    big = _sweep(many, trace=True, batch=size)[1]
    say(
        f"  Python peak: {small / (1 << 20):.1f} MiB at {few:,} rows, "
        f"{big / (1 << 20):.1f} MiB at {many:,} rows (batches of {size:,})"
    )
    return Entry(
        "sweep.postgresql.memory",
        big / (1 << 20),
        "MiB",
        small / (1 << 20),
        note=f"Python peak at {many} vs {few} rows (flat: <= 1.5)",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--count", type=int)
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--no-memory", action="store_true", help="skip the memory figure")
    parser.add_argument("--memory-only", action="store_true", help="only the memory figure")
    args = parser.parse_args()
    count = args.count or (QUICK if args.quick else FULL)
    rounds = args.rounds or (3 if args.quick else 2)
    batch = args.batch
    url = pg_database("waarborg_bench_sweep", bench="sweep_bench")
    if url is None:
        return SKIPPED
    django_setup(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import waarborg.retention.sweep  # noqa: F401 - the modules Phases wraps

    if args.memory_only:
        report("retention sweep memory (PostgreSQL)", [_memory(count)])
        return 0
    phases = Phases()
    say(f"  {count:,} due rows, batches of {batch:,}")
    times: dict[str, list[float]] = {"sweep": [], "raw": [], "floor": []}
    sides: dict[str, Callable[[], float]] = {
        "sweep": lambda: _sweep(count, batch=batch, phases=phases)[0],
        "raw": lambda: _raw(count),
        "floor": lambda: _floor(count, batch=batch),
    }
    order = list(sides)
    for i in range(rounds):
        for name in order[i % 3 :] + order[: i % 3]:  # rotate who goes first
            times[name].append(sides[name]())
        say(
            f"  round {i + 1}: sweep {times['sweep'][-1]:.2f} s, raw DELETE "
            f"{times['raw'][-1]:.2f} s, floor {times['floor'][-1]:.2f} s"
        )
    sweep, raw, floor = (statistics.median(times[k]) for k in ("sweep", "raw", "floor"))
    chained = statistics.median(_chained)
    say(f"  sweep/raw DELETE {sweep / raw:.2f}x, sweep/floor {sweep / floor:.2f}x")
    say(
        f"  floor/raw DELETE {floor / raw:.2f}x; floor with its audit rows chained "
        f"{chained:.2f} s, {chained / raw:.2f}x raw DELETE"
    )
    entries = [
        Entry(
            f"sweep.postgresql.{count}",
            sweep * 1000,
            "ms",
            raw * 1000,
            note="retention sweep vs raw DELETE of the same rows (target <= 2)",
        ),
        Entry(
            f"sweep.postgresql.{count}.vs_floor",
            sweep * 1000,
            "ms",
            floor * 1000,
            note="sweep vs its floor: DELETE + audit row per subject + ledger fsync per batch",
        ),
        Entry(
            f"sweep.postgresql.{count}.floor_chained",
            chained * 1000,
            "ms",
            raw * 1000,
            note="the floor plus sealing its audit rows into the chain, vs raw DELETE",
        ),
    ]
    if not args.no_memory:
        entries.append(_memory(count))
    report("retention sweep (PostgreSQL)", entries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
