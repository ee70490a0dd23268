"""Limits hold across server processes: each test runs real separate Python processes against
the test database, with the database cache and with Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from django.db import connection

from waarborg.access.services import token_create
from waarborg.audit.tests.support import committed_db  # noqa: F401 - a fixture
from waarborg.core.actors import Actor

pytestmark = pytest.mark.usefixtures("committed_db")

REDIS_URL = "redis://127.0.0.1:6379/11"  # a database of its own: other runs may clear 0


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["database", "redis"])
def shared_env(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The environment of a server process that uses the test database and the given cache."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        url = f"postgresql://{db['USER']}@{host}:{port}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("WAARBORG_CACHE_URL", None)
    if request.param == "redis":
        if not _redis_answers():
            pytest.skip(f"Redis does not answer at {REDIS_URL}")
        env["WAARBORG_CACHE_URL"] = REDIS_URL
    yield env


@pytest.fixture
def rate_key(shared_env: dict[str, str]) -> Iterator[str]:
    """A counter of the test's own; its Redis key is removed after, since the workers' window
    lasts until 2106 (shared_worker.ONE_WINDOW) and other runs share the Redis database."""
    key = f"token:{uuid.uuid4().hex}"
    yield key
    if "WAARBORG_CACHE_URL" in shared_env:
        import redis

        store = redis.Redis.from_url(REDIS_URL)
        for found in store.scan_iter(match=f"*rate:{key}:*"):
            store.delete(found)


def _run(env: dict[str, str], *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "waarborg.access.tests.shared_worker", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.split()


def test_two_processes_count_one_rate_limit(shared_env, rate_key):
    assert _run(shared_env, "count", rate_key, "3") == ["1", "2", "3"]
    assert _run(shared_env, "count", rate_key, "3") == ["4", "5", "6"]


def test_login_failures_in_two_processes_pause_the_login(shared_env):
    name, address = f"staff-{uuid.uuid4().hex[:8]}", f"2001:db8::{uuid.uuid4().hex[:4]}"
    assert _run(shared_env, "fail-logins", name, address, "3") == ["False"]
    assert _run(shared_env, "fail-logins", name, address, "2") == ["True"]  # 5 in all


def test_a_token_revoked_in_one_process_is_refused_by_another_within_a_second(shared_env):
    issued = token_create(actor=Actor.job("test"), system="app", purposes=["administration"])
    watcher = subprocess.Popen(
        [sys.executable, "-m", "waarborg.access.tests.shared_worker", "watch", issued.token],
        env=shared_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert watcher.stdout is not None and watcher.stdin is not None
        assert watcher.stdout.readline().strip() == "True"  # accepted, and now remembered
        assert _run(shared_env, "revoke", issued.system.token_prefix) == ["1"]
        watcher.stdin.write("again\n")
        watcher.stdin.flush()
        refused, after = watcher.stdout.readline().split()
        assert refused == "False"  # refused although this process would remember it for an hour
        # The promise is one second (REVOCATION_CHECK); the margin is for a slow, shared machine.
        assert float(after) < 5
    finally:
        watcher.kill()
        watcher.wait()


def test_two_processes_counting_at_the_same_time_lose_no_count(shared_env, rate_key):
    """Each addition is one atomic step: no two requests ever get the same number, so no
    process can count past the limit on a number another one already had."""
    worker = [sys.executable, "-m", "waarborg.access.tests.shared_worker"]
    command = [*worker, "count", rate_key, "300"]
    workers = [
        subprocess.Popen(command, env=shared_env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    seen = [int(n) for w in workers for n in w.communicate(timeout=120)[0].split()]
    assert sorted(seen) == list(range(1, 601))


def test_processes_taking_slices_of_a_limit_never_answer_more_than_it(shared_env, rate_key):
    """Each process claims 1/20 of the limit at a time; together they stay within the limit, and
    a slice left unused costs at most 1/20 of it per process."""
    command = [sys.executable, "-m", "waarborg.access.tests.shared_worker", "take", rate_key]
    workers = [
        subprocess.Popen(
            [*command, "200", "150"], env=shared_env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    allowed = sum(int(w.communicate(timeout=120)[0]) for w in workers)
    assert 200 - 2 * 10 <= allowed <= 200
