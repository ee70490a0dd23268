"""Retention sweep benchmark on PostgreSQL.

``sweep.postgresql.<N>``: ``retention_sweep`` of N due schedule rows, one subject each (claims
in batches of 5,000 by conditional UPDATE, crypto-shredding, one audit entry per subject sealed
into the chain, the erasure ledger fsynced per batch, the certificate) vs a raw
``DELETE FROM vault_subject`` of the same subjects in one statement. Target ratio <= 2.
``sweep.postgresql.memory``: the sweep's Python peak (tracemalloc) at N vs at N/10, both in
batches of N/100 (flat: ratio <= 1.5).

The rows are filled with bulk SQL (``generate_series``) in a database of its own,
``waarborg_bench_sweep``; values are stand-in bytes (the sweep never decrypts). Default N
1,000,000, ``--quick`` 20,000. Rounds alternate the two sides and report medians.

Run: ``python -m bench.sweep_bench [--quick] [--count N] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import SKIPPED, Entry, django_setup, pg_database, report, results_merge, say

FULL, QUICK = 1_000_000, 20_000
BATCH = 5000

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


def _sweep(count: int, *, trace: bool = False, batch: int = BATCH) -> tuple[float, int]:
    from waarborg.core.actors import Actor
    from waarborg.retention.sweep import retention_sweep

    _reset(count)
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    run = retention_sweep(actor=Actor.job("bench"), batch=batch)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    assert run is not None and run.summary["deletions"] == count
    return elapsed, peak


def _raw(count: int) -> float:
    from django.db import connection, transaction

    _reset(count)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(RAW)
        assert cursor.rowcount == count
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--count", type=int)
    parser.add_argument("--rounds", type=int)
    args = parser.parse_args()
    count = args.count or (QUICK if args.quick else FULL)
    rounds = args.rounds or (3 if args.quick else 2)
    url = pg_database("waarborg_bench_sweep", bench="sweep_bench")
    if url is None:
        return SKIPPED
    django_setup(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    sweeps, raws = [], []
    for i in range(rounds):
        pair = [lambda: _sweep(count)[0], lambda: _raw(count)]
        first, second = pair if i % 2 == 0 else pair[::-1]
        a, b = first(), second()
        sweep, raw = (a, b) if i % 2 == 0 else (b, a)
        sweeps.append(sweep)
        raws.append(raw)
        say(f"  round {i + 1}: sweep {sweep:.2f} s vs DELETE {raw:.2f} s")
    # Both sizes in many batches of the same size, so the figure shows growth with the rows.
    size = max(100, count // 100)
    small = _sweep(max(count // 10, 1), trace=True, batch=size)[1]
    big = _sweep(count, trace=True, batch=size)[1]
    entries = [
        Entry(
            f"sweep.postgresql.{count}",
            statistics.median(sweeps) * 1000,
            "ms",
            statistics.median(raws) * 1000,
            note="retention sweep vs raw DELETE of the same rows (target <= 2)",
        ),
        Entry(
            "sweep.postgresql.memory",
            big / (1 << 20),
            "MiB",
            small / (1 << 20),
            note=f"Python peak at {count} vs {max(count // 10, 1)} rows (flat: <= 1.5)",
        ),
    ]
    report("retention sweep (PostgreSQL)", entries)
    results_merge(entries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
