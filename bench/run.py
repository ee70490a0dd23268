"""Run the waarborg benchmarks, each in its own process, and print one table of the results.

Every figure is measured against a baseline measured in the same run and stored in
``bench/results.json`` as ``{"name": {"value": v, "unit": u, "baseline": b, "ratio": r}}``;
entries of benchmarks not run now are kept.

    python bench/run.py                 # everything (the first run fills the bench vaults)
    python bench/run.py --quick         # a small run: 10,000 subjects, fewer rounds
    python bench/run.py --only gate     # gate = gate-sqlite + gate-postgresql; see --list
    python bench/run.py --list
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, RUN_LOG, SKIPPED, bench_env, results_load, table, target_for

# name -> the module and its arguments; each runs in a fresh interpreter so it can set up Django
# (and its DATABASE_URL) its own way. Every ``bench/*_bench.py`` is a benchmark named by its stem;
# the gate benchmark runs once per database.
SPLIT = {"gate": [("gate-sqlite", ["--db", "sqlite"]), ("gate-postgresql", ["--db", "postgresql"])]}
ORDER = ["policy", "gate"]  # the rest follow in name order


def benches() -> dict[str, list[str]]:
    stems = sorted(p.stem.removesuffix("_bench") for p in (ROOT / "bench").glob("*_bench.py"))
    stems.sort(key=lambda s: (ORDER.index(s) if s in ORDER else len(ORDER), s))
    found: dict[str, list[str]] = {}
    for stem in stems:
        module = f"bench.{stem}_bench"
        for name, extra in SPLIT.get(stem, [(stem, [])]):
            found[name] = [module, *extra]
    return found


BENCHES = benches()
GROUPS = {stem: [name for name, _ in parts] for stem, parts in SPLIT.items()}


def selected(only: list[str] | None) -> list[str]:
    if not only:
        return list(BENCHES)
    names: list[str] = []
    for item in only:
        for name in GROUPS.get(item, [item]):
            if name not in BENCHES:
                known = ", ".join([*BENCHES, *GROUPS])
                raise SystemExit(f"bench: unknown benchmark {item!r} (known: {known})")
            if name not in names:
                names.append(name)
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", action="append", metavar="NAME", help="run only this benchmark (repeatable)"
    )
    parser.add_argument("--quick", action="store_true", help="a small, fast run")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and stop")
    args = parser.parse_args(argv)
    if args.list:
        for name, cmd in BENCHES.items():
            print(f"{name:16} python -m {' '.join(cmd)}")
        for group, members in GROUPS.items():
            print(f"{group:16} = {' + '.join(members)}")
        return 0

    bench_env()
    names = selected(args.only)
    outcome: dict[str, str] = {}
    started = time.perf_counter()
    handle, log_name = tempfile.mkstemp(prefix="waarborg-bench-run-", suffix=".txt")
    os.close(handle)
    env = {**os.environ, RUN_LOG: log_name}
    for name in names:
        cmd = [sys.executable, "-m", *BENCHES[name]] + (["--quick"] if args.quick else [])
        print(f"\n=== {name}: {' '.join(cmd[1:])}", flush=True)
        t0 = time.perf_counter()
        code = subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode
        took = time.perf_counter() - t0
        outcome[name] = (
            f"ok ({took:.0f} s)"
            if code == 0
            else "skipped"
            if code == SKIPPED
            else f"FAILED (exit {code})"
        )

    written = Path(log_name).read_text(encoding="utf-8").split()
    Path(log_name).unlink(missing_ok=True)
    results = results_load()
    rows = [(k, results[k], target_for(k), "") for k in dict.fromkeys(written) if k in results]
    print(f"\n=== results of this run ({time.perf_counter() - started:.0f} s), bench/results.json")
    if rows:
        print(table(rows))
    for name, status in outcome.items():
        print(f"{name:16} {status}")
    return 1 if any(s.startswith("FAILED") for s in outcome.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
