"""Backup benchmarks on PostgreSQL, each command run as an operator runs it (its own process).

(a) ``backup.postgresql.<N>.create``: ``waarborg backup create`` (pg_dump's custom format,
    checksummed and encrypted in 1 MiB parts) vs plain ``pg_dump | gzip`` of the same database.
    Target ratio <= 1.5. ``...size`` compares the two files (diagnostic).
(b) ``backup.postgresql.<N>.restore_replay_<K>``: ``waarborg backup restore`` of that backup into
    an empty database, replaying an erasure ledger of K erasures (10,000; people living in the
    backup, so every one is erased again), vs ``gunzip | psql --single-transaction`` of the plain
    dump into an empty database. Target: under 60 s (absolute); the ratio shows what decryption,
    the marker and the replay cost.

The vault is made by the gate benchmark's generator (subjects with consents and audit entries)
in a database of its own, ``waarborg_bench_backup`` (100,000 subjects, about 200 MB in
PostgreSQL; filling it takes a few minutes, once), ``--quick``: 10,000 subjects and 1,000
erasures. Timings include each command's start-up (about 1 s); rounds alternate the two sides.

Run: ``python -m bench.backup_bench [--quick] [--count N]``.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, SKIPPED, Entry, django_setup, report, say
from bench.gate_bench import pg_ensure, prepare

PG_URL = "postgresql://postgres@127.0.0.1:5432/waarborg_bench_backup"
FULL, QUICK = 100_000, 10_000
ERASURES, QUICK_ERASURES = 10_000, 1_000
WAARBORG = Path(sys.executable).with_name("waarborg")


def _url(base: str, suffix: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}{suffix}"))


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(command[:4])} failed: {done.stderr.strip()}")
    return elapsed


def _alternate(
    rounds: int, measured: Callable[[int], float], baseline: Callable[[int], float]
) -> tuple[float, float]:
    values: list[float] = []
    bases: list[float] = []
    for i in range(rounds):
        if i % 2:
            bases.append(baseline(i))
            values.append(measured(i))
        else:
            values.append(measured(i))
            bases.append(baseline(i))
        say(f"  round {i + 1}: {values[-1]:.1f} s vs {bases[-1]:.1f} s")
    return statistics.median(values), statistics.median(bases)


def _ledger(folder: Path, count: int) -> int:
    """An erasure ledger naming ``count`` people who are living in the bench vault, written the
    way erasures write it (one fsynced append each)."""
    import datetime as dt

    from waarborg.vault.erasures import ErasureRecord, erasure_record
    from waarborg.vault.models import Subject

    ids = Subject.objects.filter(erased_at__isnull=True).order_by("id")[:count]
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    written = 0
    for n, subject_id in enumerate(ids.values_list("id", flat=True).iterator()):
        erasure_record(ErasureRecord(subject_id, now, n + 1))
        written += 1
    say(f"  ledger of {written:,} erasures written in {time.perf_counter() - started:.1f} s")
    return written


def run(count: int, erasures: int, rounds: int, url: str) -> int:
    if not pg_ensure(url):
        say("backup: SKIPPED (start PostgreSQL to run it)")
        return SKIPPED
    work = Path(tempfile.mkdtemp(prefix="waarborg-backup-bench-"))
    ledger = work / "ledger"
    key = work / "backup.key"
    key.write_text(base64.b64encode(os.urandom(32)).decode())
    os.environ["WAARBORG_ERASURE_LEDGER"] = str(ledger)
    django_setup(url)
    prepare("postgresql", count, url)
    env = {**os.environ, "DATABASE_URL": url, "WAARBORG_BACKUP_KEY_FILE": str(key)}
    env.pop("WAARBORG_BACKUP_KEY", None)
    prefix = f"backup.postgresql.{count // 1000}k"
    try:
        entries = _bench_create(prefix, env, url, work, rounds)
        written = _ledger(ledger, erasures)
        entries.append(_bench_restore(prefix, env, url, work, written, max(2, rounds - 1)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(f"backup benchmarks on PostgreSQL ({count:,} subjects)", entries)
    return 0


def _bench_create(
    prefix: str, env: dict[str, str], url: str, work: Path, rounds: int
) -> list[Entry]:
    say("backup create vs pg_dump | gzip")

    def ours(i: int) -> float:
        target = work / "waarborg.backup"
        target.unlink(missing_ok=True)
        return _timed([str(WAARBORG), "backup", "create", str(target)], env)

    def plain(i: int) -> float:
        pipeline = f"set -o pipefail; pg_dump --dbname={url} | gzip > {work / 'dump.sql.gz'}"
        return _timed(["bash", "-c", pipeline], env)

    value, baseline = _alternate(rounds, ours, plain)
    mib = 1 << 20
    size = (work / "waarborg.backup").stat().st_size / mib
    gzip_size = (work / "dump.sql.gz").stat().st_size / mib
    return [
        Entry(f"{prefix}.create", value, "s", baseline, note="vs pg_dump | gzip"),
        Entry(f"{prefix}.size", size, "MiB", gzip_size, note="backup file vs the .sql.gz"),
    ]


def _bench_restore(
    prefix: str, env: dict[str, str], url: str, work: Path, erasures: int, rounds: int
) -> Entry:
    say(f"backup restore + replay of {erasures:,} erasures vs gunzip | psql")
    target = _url(url, "_restore")

    def ours(i: int) -> float:
        pg_ensure(target, fresh=True)
        command = [str(WAARBORG), "backup", "restore", str(work / "waarborg.backup")]
        return _timed(command, {**env, "DATABASE_URL": target})

    def plain(i: int) -> float:
        pg_ensure(target, fresh=True)
        pipeline = (
            f"set -o pipefail; gunzip -c {work / 'dump.sql.gz'} | "
            f"psql -q -v ON_ERROR_STOP=1 --single-transaction --dbname={target} >/dev/null"
        )
        return _timed(["bash", "-c", pipeline], env)

    value, baseline = _alternate(rounds, ours, plain)
    verdict = "ok" if value < 60 else "OVER"
    k = f"{erasures // 1000}k" if erasures % 1000 == 0 else str(erasures)
    return Entry(
        f"{prefix}.restore_replay_{k}",
        value,
        "s",
        baseline,
        note=f"target < 60 s: {verdict}; vs gunzip | psql",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 subjects, 1,000 erasures")
    parser.add_argument("--count", type=int, help=f"subjects in the vault (default {FULL:,})")
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args(argv)
    count = args.count or (QUICK if args.quick else FULL)
    url = args.pg_url if count == FULL else _url(args.pg_url, f"_{count}")
    erasures = QUICK_ERASURES if args.quick else ERASURES
    return run(count, erasures, 2 if args.quick else 3, url)


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
