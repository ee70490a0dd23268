"""API throughput and latency: gunicorn with 2 sync workers on PostgreSQL, load from wrk.

Measured: ``GET /api/v1/subjects/{id}?purpose=administration`` (token lookup, purpose gate,
decryption, audit entry) against ``GET /bench/floor/ping``, a bare ninja endpoint in the same server
that returns a constant. Also measured, as the floor of any audited read: ninja endpoints that do
only the gate's subject query and the audit INSERT by hand (``bench/api_urls.py``), and that plus
the decryption of the values. The server only appends to the audit log; one ``waarborg audit seal
--every 0.5`` loop beside it chains every endpoint's entries during its turn. wrk runs as a
second process on 127.0.0.1 for a bounded time; the endpoints are measured in alternation, in
many short rounds, so all see the same machine; latencies are pooled over all rounds (a Lua
script makes wrk print each one) before their percentiles are taken. ``BENCH_THREADS=N`` runs the
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
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, SKIPPED, Entry, bench_env, pg_database, report, say

DB_NAME = "waarborg_bench_api"
BIN = Path(sys.executable).parent
HISTOGRAM = Path(__file__).with_name("wrk_histogram.lua")
# The figures of an endpoint, in the order Run.figures answers them, and their units.
RPS, P50, P99, CPU = range(4)
UNITS = ("req/s", "ms", "ms", "ms")
# What the report shows: (name, endpoint, figure, the endpoint it is set against); requests/s and
# CPU are medians over the rounds, latencies are percentiles of all rounds' requests together.
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
    "api.get_subject.requests_per_s": "baseline: bare ninja endpoint (issue 10: see vs_floor)",
    "api.get_subject.p99": "issue 10 sets it against the floor's p99: see p99_vs_floor",
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


@dataclass
class Run:
    """One endpoint's figures over all its rounds: each round's requests/s and busy CPU per
    request, and every latency seen (microseconds -> how many), pooled across the rounds."""

    rps: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    latencies: Counter[int] = field(default_factory=Counter)

    def percentile(self, share: float) -> float:
        """The latency in ms below which ``share`` of all pooled requests were answered."""
        wanted, seen = share * sum(self.latencies.values()), 0
        for micros in sorted(self.latencies):
            seen += self.latencies[micros]
            if seen >= wanted:
                return micros / 1000
        return float("nan")

    def figures(self) -> tuple[float, float, float, float]:
        """In the order of RPS, P50, P99, CPU: medians over the rounds, percentiles pooled."""
        return (
            statistics.median(self.rps),
            self.percentile(0.50),
            self.percentile(0.99),
            statistics.median(self.cpu_ms),
        )


def _wrk(url: str, token: str, seconds: int) -> tuple[float, float, Counter[int]]:
    """Requests/s, the machine's busy CPU ms per request (server, database and wrk together:
    they share the cores) and every latency seen, in microseconds."""
    load = ["-t2", "-c16", f"-d{seconds}s", "-s", str(HISTOGRAM)]
    busy = _busy_seconds()
    out = subprocess.run(
        ["wrk", *load, "-H", f"Authorization: Bearer {token}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out) or "Socket errors" in out:
        raise SystemExit(f"api: wrk saw error responses for {url}:\n{out}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    done = re.search(r"(\d+) requests in", out)
    seen = re.search(r"^histogram (.*)$", out, re.MULTILINE)
    assert rps is not None and done is not None and seen is not None, out
    latencies: Counter[int] = Counter()
    for pair in seen.group(1).split():
        micros, count = pair.split(":")
        latencies[int(micros)] += int(count)
    cpu_ms = (_busy_seconds() - busy) * 1000 / max(int(done.group(1)), 1)
    return float(rps.group(1)), cpu_ms, latencies


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
    # Many short rounds rather than a few long ones: a p99 rests on the slowest 1 % of requests,
    # so a single stall on a shared machine can move one short run's p99 by half; pooled over
    # every round's requests it moves the figure little, and each endpoint gets its share of
    # the machine's good and bad seconds.
    seconds, rounds = (2, 2) if args.quick else (3, 10)
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
    runs = {name: Run() for name in targets}
    try:
        _wait(bare)
        for target in targets.values():
            _answers_200(target, token)
            _wrk(target, token, 1)
        names = list(targets)
        for n in range(rounds):
            # Each round in another order, so no endpoint always follows the same one.
            for name in names[n % len(names) :] + names[: n % len(names)]:
                rps, cpu_ms, latencies = _wrk(targets[name], token, seconds)
                runs[name].rps.append(rps)
                runs[name].cpu_ms.append(cpu_ms)
                runs[name].latencies.update(latencies)
                time.sleep(1)  # the sealing loop catches up before the next endpoint's turn
            gated, floor = runs["gated"].figures(), runs["floor"].figures()
            say(
                f"api: round {n + 1}/{rounds} done; so far the gated read against its floor: "
                f"requests/s {gated[RPS] / floor[RPS]:.2f}x, p99 {gated[P99] / floor[P99]:.2f}x"
            )
    finally:
        server.terminate()
        server.wait(timeout=10)
        sealer.terminate()
        sealer.wait(timeout=10)
    med = {name: run.figures() for name, run in runs.items()}
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
