"""API throughput and latency: gunicorn with 2 sync workers on PostgreSQL, load from wrk.

Measured: ``GET /api/v1/subjects/{id}?purpose=administration`` (token lookup, purpose gate,
decryption, audit entry) against ``GET /bench/floor/ping``, a bare ninja endpoint in the same server
that returns a constant. Also measured, as the floor of any audited read: ninja endpoints that do
only the gate's subject query and the audit INSERT by hand (``bench/api_urls.py``), and that plus
the decryption of the values. The server only appends to the audit log; one ``waarborg audit seal
--every 0.5`` loop beside it chains every endpoint's entries during its turn. wrk runs as a
second process on 127.0.0.1 for a bounded time; the endpoints are measured in alternation so all
see the same machine. ``BENCH_THREADS=N`` runs the
workers with N threads each (measured once: 8 threads raised the gated read by about 5 % and cut the
bare endpoint in half, so the default stays 1).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, SKIPPED, Entry, bench_env, pg_database, report, say

DB_NAME = "waarborg_bench_api"
BIN = Path(sys.executable).parent
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
# The figures of one wrk run, in the order _wrk answers them, and their units.
RPS, P50, P99, CPU = range(4)
UNITS = ("req/s", "ms", "ms", "ms")
# What the report shows: (name, endpoint, figure, the endpoint it is set against); each figure is
# the median over the rounds.
REPORTED = [
    ("api.get_subject.requests_per_s", "gated", RPS, "bare"),
    ("api.get_subject.p50", "gated", P50, "bare"),
    ("api.get_subject.p99", "gated", P99, "bare"),
    ("api.floor.read_and_log.requests_per_s", "floor", RPS, "bare"),
    ("api.floor.read_and_log.p99", "floor", P99, "bare"),
    ("api.floor.log.requests_per_s", "floor_log", RPS, "bare"),
    ("api.floor.read_open_and_log.requests_per_s", "floor_open", RPS, "bare"),
    ("api.cpu_per_request.get_subject", "gated", CPU, "bare"),
    ("api.cpu_per_request.floor", "floor", CPU, "bare"),
    ("api.get_subject.vs_floor", "gated", RPS, "floor"),
    ("api.get_subject.p99_vs_floor", "gated", P99, "floor"),
    ("api.get_subject.vs_floor_with_decryption", "gated", RPS, "floor_open"),
]
NOTES = {
    "api.get_subject.requests_per_s": "target ratio >= 0.5; baseline: bare ninja endpoint",
    "api.get_subject.p99": "target p99 < 20 ms",
    "api.floor.read_and_log.requests_per_s": (
        "subject SELECT + audit INSERT by hand: the ceiling of an audited read"
    ),
    "api.floor.log.requests_per_s": "the audit INSERT alone",
    "api.floor.read_open_and_log.requests_per_s": "the floor plus decrypting the values",
    "api.get_subject.vs_floor_with_decryption": "what the token, gate and answer cost on top",
    "api.cpu_per_request.get_subject": "busy CPU of the whole machine per request",
    "api.get_subject.vs_floor": "gated read against its floor; target ratio >= 0.85 (issue 10)",
    "api.get_subject.p99_vs_floor": "gated read's p99 against the floor's; target <= 1.25",
}


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "waarborg"), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _subject_id(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT id FROM vault_subject WHERE kind = 'customer' AND erased_at IS NULL LIMIT 1"
        ).fetchone()
    assert row is not None
    return str(row[0])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str) -> None:
    for _ in range(200):
        try:
            urllib.request.urlopen(url, timeout=1)  # noqa: S310 - our own server
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"api: the server did not answer at {url}")


def _ms(match: re.Match[str] | None) -> float:
    assert match is not None, "wrk output not understood"
    return float(match.group(1)) * _UNITS[match.group(2)]


def _answers_200(url: str, token: str) -> None:
    """wrk counts a redirect as success: check once, by hand, that each endpoint answers 200."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.netloc, timeout=10)
    conn.request("GET", f"{parts.path}?{parts.query}", headers={"Authorization": f"Bearer {token}"})
    status = conn.getresponse().status
    conn.close()
    if status != 200:
        raise SystemExit(f"api: {url} answered {status}, not 200; nothing to measure")


def _busy_seconds() -> float:
    """CPU time all cores spent busy so far (Linux /proc/stat), or NaN elsewhere."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _wrk(url: str, token: str, seconds: int) -> tuple[float, float, float, float]:
    """Requests/s, p50 ms, p99 ms, and the machine's busy CPU ms per request (server, database
    and wrk together: they share the cores)."""
    busy = _busy_seconds()
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            "-c16",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out) or "Socket errors" in out:
        raise SystemExit(f"api: wrk saw error responses for {url}:\n{out}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert rps is not None, out
    p50 = _ms(re.search(r"\s50%\s+([\d.]+)(us|ms|s)\b", out))
    p99 = _ms(re.search(r"\s99%\s+([\d.]+)(us|ms|s)\b", out))
    done = re.search(r"(\d+) requests in", out)
    assert done is not None, out
    cpu_ms = (_busy_seconds() - busy) * 1000 / max(int(done.group(1)), 1)
    return float(rps.group(1)), p50, p99, cpu_ms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        say("api: wrk is not installed (apt-get install wrk); skipped")
        return SKIPPED
    url = pg_database(DB_NAME, bench="api")
    if url is None:
        return SKIPPED
    bench_env()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "WAARBORG_API_RATE": "100000000/s",  # measure the endpoint, not the rate limiter
        "WAARBORG_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # wrk speaks plain HTTP on the loopback; a redirect to HTTPS would be all it measured.
        "WAARBORG_SSL_REDIRECT": "0",
        # As in production: the server only appends to the audit log and one sealing loop beside
        # it chains every endpoint's entries during that endpoint's own turn, so the floor's
        # entries are chained on the clock just like the gated read's.
        "WAARBORG_SEAL_IN_SERVER": "0",
    }
    say("api: preparing the database (migrate, 1,000 demo customers, a token)")
    _cli(env, "migrate", "--noinput", "-v0")
    _cli(env, "demo", "--customers", "1000")
    token = _cli(env, "token", "create", "--system", "bench", "--purposes", "administration")
    subject = _subject_id(url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.api_settings", "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            "2",
            "--threads",
            os.environ.get("BENCH_THREADS", "1"),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "waarborg.wsgi:application",
        ],
        env=server_env,
    )
    seconds, rounds = (2, 2) if args.quick else (5, 3)
    bare = f"{base}/bench/floor/ping"
    targets = {
        "bare": bare,
        "gated": f"{base}/api/v1/subjects/{subject}?purpose=administration",
        "floor": f"{base}/bench/floor/read-and-log?subject={subject}",
        "floor_log": f"{base}/bench/floor/log?subject={subject}",
        "floor_open": f"{base}/bench/floor/read-open-and-log?subject={subject}",
    }
    sealer = subprocess.Popen(
        [str(BIN / "waarborg"), "audit", "seal", "--every", "0.5"],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        _wait(bare)
        for target in targets.values():
            _answers_200(target, token)
            _wrk(target, token, 1)
        runs: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in targets}
        for n in range(rounds):
            for name, target in targets.items():
                runs[name].append(_wrk(target, token, seconds))
                time.sleep(1)  # the sealing loop catches up before the next endpoint's turn
            say(f"api: round {n + 1}/{rounds} done")
    finally:
        server.terminate()
        server.wait(timeout=10)
        sealer.terminate()
        sealer.wait(timeout=10)
    med = {k: [statistics.median(r[i] for r in v) for i in range(4)] for k, v in runs.items()}
    report(
        "API under gunicorn (2 workers, PostgreSQL), wrk -c16",
        [
            Entry(name, med[endpoint][fig], UNITS[fig], med[against][fig], note=NOTES.get(name, ""))
            for name, endpoint, fig, against in REPORTED
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
