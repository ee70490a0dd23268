"""What a rate limit shared by every server process costs per API request.

Per request the API takes one number of the token's rate limit (``rate_take``: from this
process's slice, claimed from the shared counter 1/20 of the limit at a time) and checks the
token revocation generation (read from the shared cache at most once a second). Measured in one
run, each as the median time per request over alternating rounds: the old per-process dict (the
baseline), and for the database on SQLite and PostgreSQL and for Redis both the way it is done now
and a shared count plus a generation read on every request (``every request``).
Usage: ``python bench/throttle_bench.py [--calls 2000]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import django_setup, pg_database, say

REDIS_URL = "redis://127.0.0.1:6379/12"
TABLE = "waarborg_bench_cache"


def old_dict_throttle() -> Callable[[], object]:
    """The previous limiter: ninja's sliding window over a list of request times per token, kept
    in a plain dict of this process (600/m)."""
    histories: dict[str, list[float]] = {}

    def allow() -> bool:
        now = time.time()
        history = histories.get("token", [])
        while history and history[-1] <= now - 60:
            history.pop()
        if len(history) >= 600:
            return False
        history.insert(0, now)
        histories["token"] = history
        return True

    return allow


def shared(backend: Any, *, every_request: bool) -> Callable[[], object]:
    from django.conf import settings
    from django.db import connections

    import waarborg.access.tokens as tokens
    import waarborg.api.throttle as throttle
    import waarborg.core.counters as counters

    def allow() -> bool:
        # The modules' store, as the API uses it, pointed at the store measured.
        kind = "RedisCache" if not hasattr(backend, "_db") else "DatabaseCache"
        settings.CACHES["default"]["BACKEND"] = f"django.core.cache.backends.x.{kind}"
        setattr(counters, "cache", backend)  # noqa: B010
        setattr(counters, "connection", connections[getattr(backend, "_db", "default")])  # noqa: B010
        setattr(tokens, "cache", backend)  # noqa: B010
        if every_request:
            tokens._checked[0] = float("-inf")
            return throttle.count_request("token:bench-each", duration=3600)[0] > 0
        tokens._current()
        # A limit this run never reaches: the cost of answering, not of refusing.
        return throttle.rate_take("token:bench", limit=100_000_000, duration=3600)[0]

    return allow


def per_call(fn: Callable[[], object], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - started) / calls * 1e6


def backends(sqlite_path: str) -> dict[str, Any]:
    from django.core.cache.backends.db import DatabaseCache
    from django.core.management import call_command
    from django.core.management.commands.createcachetable import Command
    from django.db import connections

    found: dict[str, Any] = {}
    command = Command()
    command.verbosity = 0
    for alias in connections:
        command.create_table(alias, TABLE, dry_run=False)
        call_command("migrate", "core", database=alias, verbosity=0)  # the counters' table
        cache = DatabaseCache(TABLE, {"OPTIONS": {"MAX_ENTRIES": 50_000}})
        cache._db = alias  # type: ignore[attr-defined]
        vendor = connections[alias].vendor
        found[f"database cache ({vendor})"] = cache
    try:
        from django.core.cache.backends.redis import RedisCache

        redis_cache = RedisCache(REDIS_URL, {})
        redis_cache.get("ping")
        found["redis"] = redis_cache
    except Exception as exc:  # no Redis here: measured without it
        say(f"throttle: Redis not available at {REDIS_URL} ({exc}); not measured")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sqlite_path = str(Path(tempfile.mkdtemp()) / "throttle.sqlite3")
    pg_url = pg_database("waarborg_bench_throttle", bench="throttle")
    django_setup(f"sqlite:///{sqlite_path}")
    from django.conf import settings
    from django.db import connections

    if pg_url is not None:
        import dj_database_url

        settings.DATABASES["pg"] = dj_database_url.parse(pg_url)
        connections.settings = connections.configure_settings(settings.DATABASES)
    kinds = {
        "in-process dict (old)": old_dict_throttle(),
    }
    for name, backend in backends(sqlite_path).items():
        kinds[name] = shared(backend, every_request=False)
        kinds[f"{name}, every request"] = shared(backend, every_request=True)
    samples: dict[str, list[float]] = {name: [] for name in kinds}
    for _ in range(args.rounds):  # alternate, so drift hits every kind alike
        for name, fn in kinds.items():
            samples[name].append(per_call(fn, args.calls))
    base = statistics.median(samples["in-process dict (old)"])
    say(f"Rate limit + revocation check per API request ({args.calls} calls x {args.rounds}):")
    for name, values in samples.items():
        value = statistics.median(values)
        say(f"  {name:40s} {value:9.1f} us/request  (+{value - base:8.1f} us vs old)")


if __name__ == "__main__":
    main()
