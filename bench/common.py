"""Shared pieces of the benchmarks: environment, Django setup, timing, results file and table.

Every figure is measured against a baseline measured in the same run; ``ratio`` is
``value / baseline``. Timings interleave the measured code and its baseline round by round so
that drift (CPU frequency, caches, other load) affects both alike, and report medians.
"""

from __future__ import annotations

import fcntl
import fnmatch
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
# Several bench processes (and other people's benchmarks) may merge into results.json at once.
_LOCK = Path(tempfile.gettempdir()) / "waarborg-bench-results.lock"
# run.py sets this to a file where each bench module lists the names it wrote in this run.
RUN_LOG = "WAARBORG_BENCH_RUN_LOG"
SKIPPED = 3  # exit status of a bench module that could not run here (e.g. no PostgreSQL)

# Ratios a figure should stay at or below (issue 4 acceptance; "flat" memory read as <= 1.5x for
# ten times the rows). Shown in the tables, not stored in results.json.
TARGETS = {
    "gate.*.gate_fields": 2.0,
    "gate.*.gate_subjects.newsletter": 1.5,
    "gate.*.audience_iter.*": 1.5,
    "api.get_subject.p99_vs_floor": 1.25,  # issue 10 (and requests/s >= 0.85x the floor)
    "sweep.postgresql.*[0-9]": 2.0,  # issue 13: sweep vs raw DELETE
    "backup.*.create": 1.5,  # issue 13: backup vs pg_dump | gzip
    "rights.access_export": 3.0,
    # issue 12: campaigns
    "campaign.*.audience_build": 1.5,
    "campaign.*.audience_build.tracemalloc_peak": 1.5,
    "campaign.send.per_message": 2.0,  # at least half the bare smtplib loop's rate
}


def target_for(name: str) -> float | None:
    for pattern, target in TARGETS.items():
        if fnmatch.fnmatchcase(name, pattern):
            return target
    return None


# Values for a bench run outside ``make bench``; an environment that sets them wins.
_DEFAULT_ENV = {
    "DJANGO_SETTINGS_MODULE": "waarborg.settings",
    "WAARBORG_DEBUG": "0",
    "WAARBORG_SECRET_KEY": "bench-only-0123456789abcdef0123456789abcdef",
    "WAARBORG_KEK_FILE": str(ROOT / "var" / "test.kek"),
    "WAARBORG_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    # The benchmarks speak plain HTTP on loopback: no redirect to HTTPS.
    "WAARBORG_SSL_REDIRECT": "0",
    # Erasures made by a benchmark are recorded here, never in a real ledger.
    "WAARBORG_ERASURE_LEDGER": str(Path(tempfile.gettempdir()) / "waarborg-bench-erasures"),
}


def bench_env() -> None:
    """Fill in what the benchmarks need from the environment, without overriding anything."""
    for name, value in _DEFAULT_ENV.items():
        if name == "WAARBORG_SECRET_KEY" and os.environ.get("WAARBORG_SECRET_KEY_FILE"):
            continue
        if name == "WAARBORG_KEK_FILE" and os.environ.get("WAARBORG_KEK"):
            continue
        os.environ.setdefault(name, value)
    hosts = os.environ["WAARBORG_ALLOWED_HOSTS"].split(",")
    if "testserver" not in hosts:  # Django's test Client sends Host: testserver
        os.environ["WAARBORG_ALLOWED_HOSTS"] = ",".join([*hosts, "testserver"])
    kek_file = os.environ.get("WAARBORG_KEK_FILE")
    if kek_file and not Path(kek_file).is_file():
        sys.exit(f"bench: the KEK file {kek_file} does not exist; run 'make var/test.kek' first.")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def django_setup(database_url: str | None = None) -> None:
    """Set up Django once for this process; ``database_url`` must be given before setup."""
    bench_env()
    if database_url is not None:
        os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()


# --- timing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    """Median seconds per call of the measured code and of its baseline."""

    value: float
    baseline: float
    samples: int

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("inf")


def _once(fn: Callable[[], object], inner: int) -> float:
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - start) / inner


def compare(
    measured: Callable[[], object],
    baseline: Callable[[], object],
    *,
    rounds: int,
    inner: int = 1,
    warmup: int = 2,
) -> Pair:
    """Time ``measured`` and ``baseline`` in alternating rounds (the order flips every round).

    Each round calls a function ``inner`` times; the result is the median over rounds of the
    mean time per call."""
    for _ in range(warmup):
        measured()
        baseline()
    values: list[float] = []
    bases: list[float] = []
    for i in range(rounds):
        if i % 2:
            bases.append(_once(baseline, inner))
            values.append(_once(measured, inner))
        else:
            values.append(_once(measured, inner))
            bases.append(_once(baseline, inner))
    return Pair(statistics.median(values), statistics.median(bases), rounds)


def compare_each(
    items: list[Any],
    measured: Callable[[Any], object],
    baseline: Callable[[Any], object],
    *,
    rounds: int,
    warmup: int = 5,
    budget: float = 20.0,
    minimum: int = 30,
) -> Pair:
    """Like ``compare`` for per-item calls (one subject each): every round calls both functions
    once for every item, alternating which goes first; the median is over all calls. Stops
    early once ``budget`` seconds are spent and at least ``minimum`` pairs are timed."""
    for item in items[:warmup]:
        measured(item)
        baseline(item)
    values: list[float] = []
    bases: list[float] = []
    started = time.perf_counter()
    for r in range(rounds):
        for i, item in enumerate(items):
            first, second = (measured, baseline) if (r + i) % 2 == 0 else (baseline, measured)
            start = time.perf_counter()
            first(item)
            middle = time.perf_counter()
            second(item)
            end = time.perf_counter()
            a, b = middle - start, end - middle
            values.append(a if first is measured else b)
            bases.append(b if first is measured else a)
            if end - started > budget and len(values) >= minimum:
                return Pair(statistics.median(values), statistics.median(bases), len(values))
    return Pair(statistics.median(values), statistics.median(bases), len(values))


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    name: str
    value: float
    unit: str
    baseline: float
    note: str = ""

    @property
    def target(self) -> float | None:
        return target_for(self.name)

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("inf")

    def stored(self) -> dict[str, Any]:
        return {
            "value": _round(self.value),
            "unit": self.unit,
            "baseline": _round(self.baseline),
            "ratio": round(self.ratio, 3),
        }


def _round(x: float) -> float:
    return float(f"{x:.4g}")


def timing(name: str, pair: Pair, *, note: str = "") -> Entry:
    """A timing entry in milliseconds."""
    return Entry(name, pair.value * 1000, "ms", pair.baseline * 1000, note=note)


def results_load(path: Path = RESULTS) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def results_merge(entries: Iterable[Entry], path: Path = RESULTS) -> None:
    """Add or replace these entries in ``results.json``, keeping every other entry."""
    entries = list(entries)
    with _LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = results_load(path)
        for entry in entries:
            data[entry.name] = entry.stored()
        tmp = path.with_suffix(f".json.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(path)
    run_log = os.environ.get(RUN_LOG)
    if run_log:
        with open(run_log, "a", encoding="utf-8") as out:
            out.writelines(f"{entry.name}\n" for entry in entries)


def _fmt(x: float) -> str:
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) >= 0.01:
        return f"{x:.3f}"
    return f"{x:.2e}"


def table(rows: Iterable[tuple[str, Mapping[str, Any], float | None, str]]) -> str:
    """Rows of (name, stored entry, target ratio or None, note) as an aligned text table."""
    header = ("benchmark", "value", "baseline", "unit", "ratio", "target", "")
    lines: list[tuple[str, ...]] = [header]
    for name, e, target, note in rows:
        ratio = float(e["ratio"])
        verdict = ""
        if target is not None:
            verdict = "ok" if ratio <= target else "OVER"
        lines.append(
            (
                name,
                _fmt(float(e["value"])),
                _fmt(float(e["baseline"])),
                str(e["unit"]),
                f"{ratio:.2f}x",
                f"<= {target:g} {verdict}" if target is not None else "",
                note,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        cells = [
            line[i].ljust(widths[i]) if i in (0, 3, 5, 6) else line[i].rjust(widths[i])
            for i in range(len(header))
        ]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths).rstrip())
    return "\n".join(out)


def report(title: str, entries: list[Entry]) -> None:
    """Store ``entries`` in ``results.json`` and print them as a table."""
    results_merge(entries)
    print(f"\n{title}")
    print(table((e.name, e.stored(), e.target, e.note) for e in entries))
    sys.stdout.flush()


def pg_database(name: str, *, bench: str) -> str | None:
    """The URL of PostgreSQL database ``name`` on 127.0.0.1, created when missing; None (and a
    note that ``bench`` is skipped) when there is no server or no right to create it."""
    try:
        import psycopg

        server = "postgresql://postgres@127.0.0.1:5432/postgres"
        with psycopg.connect(server, autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if exists.fetchone() is None:
                conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # no server, no rights: this benchmark cannot run here
        say(f"{bench}: PostgreSQL not available ({exc}); skipped")
        return None
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def say(message: str) -> None:
    print(message, flush=True)
