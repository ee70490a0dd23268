"""Counters every server process shares: API rate limits and staff login pauses.

``counter_add`` adds to a counter and answers its new value in one step that no other process
can split: with Redis, INCRBY (and an expiry set once, in the same round trip); with the
database cache (the default), one upsert statement on its own table (``INSERT ... ON CONFLICT
... DO UPDATE ... RETURNING``, PostgreSQL and SQLite alike). Django's own ``cache.incr`` on the
database backend reads and then writes, so two workers could both read 5 and both store 6, and
it costs a second statement. Any other cache backend (the tests' local memory) counts through
the cache API, which is atomic within the one process it serves.

A counter starts at its first ``counter_add`` and lives ``ttl`` seconds from then; an expired
counter starts again from zero."""

from __future__ import annotations

import hashlib
import hmac
import random
import time
from collections.abc import Sequence

from django.conf import settings
from django.core.cache import cache
from django.db import connection

TABLE = "core_counter"  # a constant of ours: the only name put into the SQL below
_PURGE = f"DELETE FROM {TABLE} WHERE expires <= %s"  # noqa: S608
_GET = f"SELECT value FROM {TABLE} WHERE key = %s AND expires > %s"  # noqa: S608
_DELETE = f"DELETE FROM {TABLE} WHERE key = %s"  # noqa: S608
# Expired rows are deleted now and then, by whichever request happens to draw it.
_PURGE_ONE_IN = 500

_UPSERT = (
    f"INSERT INTO {TABLE} (key, value, expires) VALUES (%s, %s, %s) "  # noqa: S608
    "ON CONFLICT (key) DO UPDATE SET "
    f"value = CASE WHEN {TABLE}.expires <= %s THEN excluded.value "
    f"ELSE {TABLE}.value + excluded.value END, "
    f"expires = CASE WHEN {TABLE}.expires <= %s THEN excluded.expires ELSE {TABLE}.expires END "
    "RETURNING value"
)


def _backend() -> str:
    name = str(settings.CACHES["default"]["BACKEND"])
    if name.endswith("DatabaseCache"):
        return "database"
    return "redis" if name.endswith("RedisCache") else "cache"


def _redis_add(key: str, by: int, ttl: int) -> int:
    full = cache.make_and_validate_key(key)
    client = cache._cache.get_client(full, write=True)  # type: ignore[attr-defined]
    pipe = client.pipeline(transaction=False)
    pipe.set(full, 0, ex=ttl, nx=True)  # only a new counter gets its expiry
    pipe.incrby(full, by)
    return int(pipe.execute()[1])


def _database_add(key: str, by: int, ttl: int) -> int:
    now = time.time()
    with connection.cursor() as cursor:
        if random.randrange(_PURGE_ONE_IN) == 0:  # noqa: S311 - housekeeping, not security
            cursor.execute(_PURGE, [now])
        cursor.execute(_UPSERT, [key, by, now + ttl, now, now])
        row = cursor.fetchone()
    return int(row[0])


def counter_add(key: str, *, by: int = 1, ttl: int) -> int:
    """Add ``by`` to the counter ``key`` and answer its value after the addition."""
    backend = _backend()
    if backend == "redis":
        return _redis_add(key, by, ttl)
    if backend == "database":
        return _database_add(key, by, ttl)
    if cache.add(key, by, ttl):
        return by
    try:
        return int(cache.incr(key, by))
    except ValueError:  # expired between the two calls
        cache.add(key, by, ttl)
        return by


def counter_get(key: str) -> int:
    """The counter's value now (0 when it never counted or has expired)."""
    if _backend() != "database":
        return int(cache.get(key, 0))
    with connection.cursor() as cursor:
        cursor.execute(_GET, [key, time.time()])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def counter_delete(key: str) -> None:
    if _backend() != "database":
        cache.delete(key)
        return
    with connection.cursor() as cursor:
        cursor.execute(_DELETE, [key])


def _limit_key(prefix: str, kind: str, value: str) -> str:
    mac = hmac.new(settings.SECRET_KEY.encode(), f"{kind}\x00{value}".encode(), hashlib.sha256)
    return f"{prefix}:{kind}:{mac.hexdigest()[:32]}"


def limits_take(prefix: str, counters: Sequence[tuple[str, str, int]], *, window: int) -> bool:
    """Count one under each ``(kind, value, limit)`` for ``window`` seconds; False, counting
    nothing, when one is at its limit already. Each is added in one atomic step, so a burst of
    parallel callers can pass a limit by at most the number in flight, and is refused after.
    The keys are HMACs under the secret key: the store never holds an address."""
    keys = [(_limit_key(prefix, kind, value), limit) for kind, value, limit in counters]
    if any(counter_get(key) >= limit for key, limit in keys):
        return False
    return not any(counter_add(key, ttl=window) > limit for key, limit in keys)


def secret_digest(secret: str) -> str:
    """What is stored of a single-use code or session token: its SHA-256 (they carry 128 or
    more random bits, so a slow hash would add nothing against guessing)."""
    return hashlib.sha256(secret.strip().encode()).hexdigest()
