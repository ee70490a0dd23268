"""Campaign benchmarks (PostgreSQL): building an audience, and sending into a local SMTP sink.

(a) ``campaign.postgresql.<N>.audience_build``: ``audience_build`` (the gate's set-based read for
    the newsletter, less suppressed addresses, written as delivery rows by one
    ``INSERT ... SELECT``) vs a hand-written ``INSERT ... SELECT`` of the same rule. Target ratio
    <= 1.5. Each run's rows are deleted before the next.
(b) ``campaign.postgresql.audience_build.tracemalloc_peak``: peak Python allocations of one build
    over N subjects vs over N/10 (a second database). Flat memory: a ratio near 1.
(c) ``campaign.send.throughput``: messages per second of ``campaign_send`` (claim, a gate read
    per person, one SMTP connection per batch of 100, record) into an aiosmtpd sink running in
    its own process, vs a bare ``smtplib`` loop sending messages of the same size over one
    connection. Target: at least half the bare loop's rate (shown as baseline/value <= 2).

(d) ``--part acceptance [--count N]`` (default 100,000; not part of ``make bench`` or ``make
    test``): the issue 12 acceptance on PostgreSQL with real processes. N people made by
    ``subjects_bulk_create`` (``waarborg_bench_campaign_accept``) in a mix of states (consent
    pending, withdrawn, objected, restricted, erased, hard bounce, complaint); a campaign started
    through ``campaign_start``; ``waarborg campaign send`` in its own process into an aiosmtpd
    sink in another, which writes down every recipient; at 10 % twenty people whose mail is still
    to come unsubscribe with the one-click POST to their real link on a gunicorn server; at 40 %
    the sender gets SIGKILL and a second one finishes. It checks: the audience equals the rule
    written by hand in SQL, nobody got two copies, nobody outside the rule (now) got mail, no
    unsubscribed person got mail, everyone else the rule names got it but for the deliveries the
    kill left ``unknown``, at most one of those (the journal, ``sending.py``). Exit 1 on a failed
    check. Figures and durations are printed, not stored.

The audience databases are filled once by bulk SQL (``generate_series``; no encryption, since
the audience never decrypts) and reused: ``waarborg_bench_campaign_<N>``. The sending database
``waarborg_bench_campaign_send`` holds M real subjects made by ``subjects_bulk_create``.

Run: ``python -m bench.campaign_bench [--quick] [--count N]`` (default 1,000,000; quick 100,000);
``python -m bench.campaign_bench --part acceptance`` for (d).
"""

from __future__ import annotations

import argparse
import json
import smtplib
import socket
import subprocess
import sys
import time
import tracemalloc
from email.message import EmailMessage
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, SKIPPED, Entry, compare, django_setup, pg_database, report, say

FULL, QUICK = 1_000_000, 100_000
SEND_FULL, SEND_QUICK = 5_000, 1_000
LAYOUT = "campaign v1"


def _k(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k"


def _migrate() -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta (name varchar(64) PRIMARY KEY, value text)"
        )


def fill(count: int) -> None:
    """N subjects and their newsletter states by bulk SQL, once: about 60 % consent granted,
    5 % pending, 5 % withdrawn, 2 % objected, 1 % restricted, 1 % erased, 1 % bounced."""
    from django.db import connection, transaction

    _migrate()
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM bench_meta WHERE name = 'layout'")
        row = cursor.fetchone()
        if row and row[0] == f"{LAYOUT} n={count}":
            return
    say(f"  filling {count:,} subjects by bulk SQL ...")
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table in ("campaigns_delivery", "campaigns_suppression", "campaigns_campaign"):
            cursor.execute(f"DELETE FROM {table}")
        cursor.execute("TRUNCATE vault_purposestate, vault_subject CASCADE")
        cursor.execute(
            "INSERT INTO vault_subject (id, kind, product, values, kek_id, email_index, "
            "created_at, updated_at, restricted_at, erased_at) "
            "SELECT md5('s' || i)::uuid, CASE WHEN i %% 10 = 0 THEN 'newsletter_subscriber' "
            "ELSE 'customer' END, 'aplanner-free', '{}'::jsonb, '', "
            "CASE WHEN i %% 101 = 0 THEN NULL ELSE md5('e' || i) || md5('f' || i) END, "
            "now(), now(), CASE WHEN i %% 100 = 1 THEN now() END, "
            "CASE WHEN i %% 100 = 2 THEN now() END FROM generate_series(1, %s) i",
            [count],
        )
        cursor.execute(
            "INSERT INTO vault_purposestate (subject_id, purpose, consent, objected, "
            "compelling_grounds, updated_at, confirm_digest) "
            "SELECT md5('s' || i)::uuid, 'newsletter', CASE WHEN i %% 100 < 60 THEN 'granted' "
            "WHEN i %% 100 < 65 THEN 'pending' WHEN i %% 100 < 70 THEN 'withdrawn' "
            "ELSE 'none' END, "
            "i %% 50 = 7, '', now(), '' FROM generate_series(1, %s) i WHERE i %% 100 < 80",
            [count],
        )
        cursor.execute(
            "INSERT INTO campaigns_suppression (email_index, reason, recorded_at) "
            "SELECT md5('e' || i) || md5('f' || i), 'hard_bounce', now() "
            "FROM generate_series(1, %s) i WHERE i %% 100 = 3",
            [count],
        )
        cursor.execute(
            "INSERT INTO bench_meta VALUES ('layout', %s) "
            "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
            [f"{LAYOUT} n={count}"],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    say(f"  filled in {time.perf_counter() - start:.0f} s")


def hand_sql() -> str:
    """The same rule by hand: kind, not erased or restricted, granted consent, no objection, an
    address that did not bounce."""
    return (
        "INSERT INTO campaigns_delivery (campaign_id, subject_id, status, reason, claimed_by) "
        "SELECT %s, s.id, 'pending', '', '' FROM vault_subject s "
        "JOIN vault_purposestate c ON c.subject_id = s.id AND c.purpose = 'newsletter' "
        "AND c.consent = 'granted' "
        "WHERE s.erased_at IS NULL AND s.restricted_at IS NULL "
        "AND s.kind IN ('customer', 'newsletter_subscriber') AND s.email_index IS NOT NULL "
        "AND NOT c.objected "
        "AND NOT EXISTS (SELECT 1 FROM campaigns_suppression x WHERE x.email_index = s.email_index)"
    )


def _campaign() -> Any:
    from django.utils import timezone

    from waarborg.campaigns.models import Campaign

    return Campaign.objects.create(
        purpose="newsletter",
        name="bench",
        subject_nl="x",
        subject_en="x",
        text_nl="x",
        text_en="x",
        created_by="bench",
        created_at=timezone.now(),
    )


def bench_audience(count: int, rounds: int) -> list[Entry]:
    from django.db import connection

    from waarborg.campaigns.audience import audience_build
    from waarborg.campaigns.models import Delivery

    campaign = _campaign()
    sizes: dict[str, int] = {}

    def clear() -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM campaigns_delivery")

    def ours() -> None:
        clear()
        sizes["ours"] = int(audience_build(campaign=campaign))  # type: ignore[arg-type]

    def by_hand() -> None:
        clear()
        with connection.cursor() as cursor:
            cursor.execute(hand_sql(), [campaign.pk])
            sizes["hand"] = cursor.rowcount

    pair = compare(ours, by_hand, rounds=rounds, warmup=1)
    clear()
    Delivery.objects.all().delete()
    assert sizes["ours"] == sizes["hand"], sizes
    say(f"  audience: {sizes['ours']:,} of {count:,} subjects")
    return [
        Entry(
            f"campaign.postgresql.{_k(count)}.audience_build",
            pair.value * 1000,
            "ms",
            pair.baseline * 1000,
            note=f"{sizes['ours']:,} deliveries; vs hand-written INSERT ... SELECT",
        )
    ]


def memory_probe() -> dict[str, float]:
    """In this process: peak traced allocations of one audience build."""
    from django.db import connection

    from waarborg.campaigns.audience import audience_build

    campaign = _campaign()
    audience_build(campaign=campaign)  # warm: imports, caches, connection
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM campaigns_delivery")
    tracemalloc.start()
    rows = audience_build(campaign=campaign)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM campaigns_delivery")
    return {"rows": float(rows), "traced_bytes": float(peak)}  # type: ignore[arg-type]


def _probe(count: int) -> dict[str, float]:
    cmd = [sys.executable, "-m", "bench.campaign_bench", "--count", str(count), "--probe"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory probe failed:\n{done.stdout}\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def bench_memory(count: int) -> list[Entry]:
    small, big = _probe(count // 10), _probe(count)
    return [
        Entry(
            "campaign.postgresql.audience_build.tracemalloc_peak",
            big["traced_bytes"] / 1024,
            "KiB",
            small["traced_bytes"] / 1024,
            note=f"{_k(count)} vs {_k(count // 10)} subjects "
            f"({big['rows']:,.0f} vs {small['rows']:,.0f} deliveries)",
        )
    ]


# --- sending ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sink_start() -> tuple[subprocess.Popen[bytes], int]:
    """aiosmtpd's discarding sink in its own process, answering on a free local port."""
    port = _free_port()
    cmd = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
    process = subprocess.Popen([*cmd, "-c", "aiosmtpd.handlers.Sink"])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=1):
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the SMTP sink did not start")


def send_people(count: int) -> None:
    from django.db import connection

    from waarborg.policy.selectors import policy_current
    from waarborg.vault.bulk import subjects_bulk_create
    from waarborg.vault.tests.factories import SIGNUP

    _migrate()
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM bench_meta WHERE name = 'layout'")
        row = cursor.fetchone()
    if row and row[0] == f"{LAYOUT} send n={count}":
        return
    say(f"  making {count:,} subjects for sending ...")
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE campaigns_mailevent, campaigns_suppression, campaigns_delivery, "
            "campaigns_campaign, vault_purposestate, vault_subject CASCADE"
        )
    version = policy_current().digest
    for first in range(0, count, 1000):
        items = [
            ("aplanner-free", {"name": f"Persoon {i}", "email": f"p{i}@example.nl"}, ["newsletter"])
            for i in range(first, min(first + 1000, count))
        ]
        subjects_bulk_create(actor=SIGNUP, items=items, accepted_policy_version=version)
        if first and first % 10_000 == 0:
            say(f"    {first:,} ...")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_meta VALUES ('layout', %s) "
            "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
            [f"{LAYOUT} send n={count}"],
        )
        cursor.execute("ANALYZE")


def bench_send(count: int, port: int, rounds: int) -> list[Entry]:
    from waarborg.campaigns.message import message_body
    from waarborg.campaigns.sending import campaign_send
    from waarborg.campaigns.services import Draft, campaign_save, campaign_start
    from waarborg.conftest import staff

    marketer = staff("marketing", name="bench")
    draft = Draft(
        "newsletter",
        "bench",
        "Nieuws",
        "News",
        "Beste lezer,\n\n" + "Nieuws. " * 60,
        "Dear reader,\n\n" + "News. " * 60,
    )

    def ours() -> None:
        campaign = campaign_save(actor=marketer, draft=draft)
        campaign_start(actor=marketer, campaign_id=campaign.pk)
        start = time.perf_counter()
        sent = campaign_send(campaign_id=campaign.pk).sent
        times["ours"].append((time.perf_counter() - start) / sent)

    sample = campaign_save(actor=marketer, draft=draft)
    body = message_body(sample, "https://privacy.example.nl/privacy/unsubscribe/" + "x" * 90)

    def bare() -> None:
        start = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for i in range(count):
                mail = EmailMessage()
                mail["From"], mail["To"], mail["Subject"] = "a@example.nl", f"p{i}@example.nl", "x"
                mail.set_content(body)
                smtp.send_message(mail)
        times["bare"].append((time.perf_counter() - start) / count)

    times: dict[str, list[float]] = {"ours": [], "bare": []}
    compare(ours, bare, rounds=rounds, warmup=0)
    value, base = min(times["ours"]), min(times["bare"])
    say(f"  sending: {1 / value:,.0f} msg/s through campaign_send vs {1 / base:,.0f} bare")
    return [
        Entry(
            "campaign.send.per_message",
            value * 1000,
            "ms",
            base * 1000,
            note=f"{1 / value:,.0f} vs {1 / base:,.0f} msg/s, {count:,} messages; "
            "target: at least half the bare rate (ratio <= 2)",
        )
    ]


# --- acceptance: a whole campaign, an unsubscribe, a kill -9 -------------------------------

ACCEPT_DB = "waarborg_bench_campaign_accept"
ACCEPT_BATCH = 100
UNSUBSCRIBERS = 20


class RecordingSink:
    """aiosmtpd handler (``-c bench.campaign_bench.RecordingSink FILE``): appends each accepted
    message's recipients to FILE, one line each, flushed before the 250 answer."""

    def __init__(self, path: str) -> None:
        self.out = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives as long

    @classmethod
    def from_cli(cls, parser: Any, *args: str) -> RecordingSink:
        return cls(args[0])

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for rcpt in envelope.rcpt_tos:
            self.out.write(f"{rcpt.lower()}\n")
        self.out.flush()
        return "250 OK"


def _sink_recording(path: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    cmd = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
    process = subprocess.Popen([*cmd, "-c", "bench.campaign_bench.RecordingSink", str(path)])
    _wait_port(port, process, smtp=True)
    return process, port


def _wait_port(port: int, process: subprocess.Popen[bytes], *, smtp: bool) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process {process.args!r} ended with {process.returncode}")
        try:
            if smtp:
                with smtplib.SMTP("127.0.0.1", port, timeout=1):
                    return
            else:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"nothing answers on port {port}")


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split() if path.exists() else []


# The rule by hand, as a set of subject ids: kind the purpose covers, not erased or restricted,
# confirmed ("granted") newsletter consent, no objection, an address without a hard bounce or
# complaint.
RULE_SQL = (
    "SELECT s.id FROM vault_subject s "
    "JOIN vault_purposestate c ON c.subject_id = s.id AND c.purpose = 'newsletter' "
    "AND c.consent = 'granted' "
    "WHERE s.erased_at IS NULL AND s.restricted_at IS NULL "
    "AND s.kind IN ('customer', 'newsletter_subscriber') AND s.email_index IS NOT NULL "
    "AND NOT c.objected "
    "AND NOT EXISTS (SELECT 1 FROM campaigns_suppression x WHERE x.email_index = s.email_index)"
)


def _rule_ids() -> set[Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(RULE_SQL)
        return {row[0] for row in cursor.fetchall()}


def accept_states() -> dict[str, int]:
    """Reset the people of the sending database, then give them the mix of states the audience
    must see through (by row number in id order): 5 % consent pending (never confirmed), 5 %
    withdrawn, 2 % objected, 1 % restricted, 1 % erased, 1 % hard bounce, 1 % complaint."""
    from django.db import connection, transaction

    numbered = "SELECT id, row_number() OVER (ORDER BY id) AS i FROM vault_subject"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE campaigns_mailevent, campaigns_suppression, campaigns_delivery, "
            "campaigns_campaign CASCADE"
        )
        cursor.execute("UPDATE vault_subject SET restricted_at = NULL, erased_at = NULL")
        cursor.execute(
            "UPDATE vault_purposestate SET consent = 'granted', objected = false "
            "WHERE purpose = 'newsletter'"
        )
        steps = {
            "pending": "UPDATE vault_purposestate c SET consent = 'pending' FROM ({n}) n "
            "WHERE n.id = c.subject_id AND c.purpose = 'newsletter' "
            "AND n.i % 100 BETWEEN 60 AND 64",
            "withdrawn": "UPDATE vault_purposestate c SET consent = 'withdrawn' FROM ({n}) n "
            "WHERE n.id = c.subject_id AND c.purpose = 'newsletter' "
            "AND n.i % 100 BETWEEN 65 AND 69",
            "objected": "UPDATE vault_purposestate c SET objected = true FROM ({n}) n "
            "WHERE n.id = c.subject_id AND c.purpose = 'newsletter' AND n.i % 50 = 7",
            "restricted": "UPDATE vault_subject s SET restricted_at = now() FROM ({n}) n "
            "WHERE n.id = s.id AND n.i % 100 = 11",
            "erased": "UPDATE vault_subject s SET erased_at = now() FROM ({n}) n "
            "WHERE n.id = s.id AND n.i % 100 = 12",
            "hard_bounce": "INSERT INTO campaigns_suppression (email_index, reason, recorded_at) "
            "SELECT s.email_index, 'hard_bounce', now() FROM vault_subject s JOIN ({n}) n "
            "ON n.id = s.id WHERE n.i % 100 = 13",
            "complaint": "INSERT INTO campaigns_suppression (email_index, reason, recorded_at) "
            "SELECT s.email_index, 'complaint', now() FROM vault_subject s JOIN ({n}) n "
            "ON n.id = s.id WHERE n.i % 100 = 14",
        }
        counts = {}
        for name, sql in steps.items():
            cursor.execute(sql.format(n=numbered))
            counts[name] = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return counts


def _address_book(count: int) -> dict[str, str]:
    """Subject id -> address, from the blind index of every address made by ``send_people``."""
    from django.db import connection

    from waarborg.vault.index import email_index

    by_index = {email_index(f"p{i}@example.nl"): f"p{i}@example.nl" for i in range(count)}
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, email_index FROM vault_subject")
        return {str(sid): by_index[index] for sid, index in cursor.fetchall() if index}


def _unsubscribe(link: str) -> int:
    """The one-click POST a mail program makes (RFC 8058): no cookie, no login."""
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 - our own server's http(s) link
        link,
        data=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        return int(answer.status)


def run_accept(count: int) -> int:
    """The issue 12 acceptance at ``count`` subjects on PostgreSQL; exit 1 when any check fails."""
    import os
    import signal
    import tempfile
    from collections import Counter

    url = pg_database(ACCEPT_DB, bench="campaign_bench acceptance")
    if url is None:
        return SKIPPED
    web_port = _free_port()
    os.environ["WAARBORG_PUBLIC_URL"] = f"http://127.0.0.1:{web_port}"
    django_setup(url)
    from django.db import connection

    from waarborg.campaigns.models import Campaign, Delivery
    from waarborg.campaigns.services import Draft, campaign_save, campaign_start
    from waarborg.conftest import staff
    from waarborg.consent.unsubscribe import unsubscribe_link

    clock: dict[str, float] = {}
    start = time.perf_counter()
    send_people(count)
    clock["people"] = time.perf_counter() - start
    start = time.perf_counter()
    mix = accept_states()
    book = _address_book(count)
    rule_at_start = _rule_ids()
    clock["states"] = time.perf_counter() - start
    say(f"  {count:,} people; states {mix}; the rule by hand: {len(rule_at_start):,}")

    marketer = staff("marketing", name="acceptance")
    draft = Draft("newsletter", "acceptance", "Nieuws", "News", "Beste lezer.", "Dear reader.")
    campaign = campaign_save(actor=marketer, draft=draft)
    start = time.perf_counter()
    audience = campaign_start(actor=marketer, campaign_id=campaign.pk)
    clock["audience_build"] = time.perf_counter() - start
    in_audience = set(
        Delivery.objects.filter(campaign=campaign).values_list("subject_id", flat=True)
    )

    received = Path(tempfile.mkdtemp(prefix="waarborg-accept-")) / "received.txt"
    sink, smtp_port = _sink_recording(received)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "WAARBORG_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "PYTHONPATH": str(ROOT),
    }
    web = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "waarborg.wsgi:application",
            "-b",
            f"127.0.0.1:{web_port}",
            "-w",
            "1",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    send = [sys.executable, "-m", "waarborg", "campaign", "send", str(campaign.pk)]
    send += ["--batch", str(ACCEPT_BATCH)]
    failures: list[str] = []
    try:
        _wait_port(web_port, web, smtp=False)
        start = time.perf_counter()
        first = subprocess.Popen(send, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)

        def wait_for(n: int) -> None:
            while len(_lines(received)) < n:
                if first.poll() is not None:
                    raise RuntimeError(f"the sender ended early ({first.returncode})")
                time.sleep(0.05)

        # Mid-campaign: people whose mail is still to come unsubscribe with the one-click POST.
        wait_for(audience // 10)
        later = list(
            Delivery.objects.filter(campaign=campaign, status="pending")
            .order_by("id")
            .values_list("subject_id", flat=True)
        )
        # Not the next few batches: a sender may have claimed (and asked the gate about) those
        # already; the rule is that an unsubscribe takes effect before the next batch.
        later = later[5 * ACCEPT_BATCH :]
        step = max(len(later) // UNSUBSCRIBERS, 1)
        leaving = later[::step][:UNSUBSCRIBERS]
        unsub_started = time.perf_counter()
        answers = Counter(
            _unsubscribe(unsubscribe_link(subject_id=s, purpose="newsletter")) for s in leaving
        )
        clock["unsubscribe_posts"] = time.perf_counter() - unsub_started
        if answers != Counter({200: len(leaving)}):
            failures.append(f"one-click POSTs answered {dict(answers)}")

        # kill -9 of the sending worker at about 40 %, then a restart to the end.
        wait_for(audience * 4 // 10)
        first.send_signal(signal.SIGKILL)
        first.wait()
        at_kill = len(_lines(received))
        clock["first_run_until_kill"] = time.perf_counter() - start
        restart = time.perf_counter()
        second = subprocess.run(send, cwd=ROOT, env=env, stderr=subprocess.DEVNULL, check=False)
        clock["restart_to_end"] = time.perf_counter() - restart
        clock["sending_total"] = time.perf_counter() - start
        if second.returncode != 0:
            failures.append(f"the restarted sender exited with {second.returncode}")
        time.sleep(0.5)  # the sink writes each message before it answers; nothing is in flight
    finally:
        web.terminate()
        sink.kill()
        web.wait()
        sink.wait()

    copies = Counter(_lines(received))
    got = set(copies)
    rule_at_end = _rule_ids()
    expected = {book[str(s)] for s in rule_at_end}
    left = {book[str(s)] for s in leaving}
    statuses = Counter(Delivery.objects.filter(campaign=campaign).values_list("status", flat=True))
    unknown = {
        book[str(s)]
        for s in Delivery.objects.filter(campaign=campaign, status="unknown").values_list(
            "subject_id", flat=True
        )
    }
    twice = sorted(a for a, n in copies.items() if n > 1)
    missed = expected - got
    state = Campaign.objects.get(id=campaign.pk).state
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_auditentry")
        audit_rows = cursor.fetchone()[0]

    checks = {
        "audience == the rule by hand at the start": in_audience == rule_at_start,
        "the rule at the end == at the start less the unsubscribed": rule_at_end
        == rule_at_start - set(leaving),
        "nobody received two copies": not twice,
        "nobody outside the rule received mail": got <= expected,
        "no unsubscribed person received mail after the POST": not (got & left),
        "everyone the rule names received it, except deliveries the kill left unknown": missed
        <= unknown,
        "the kill left at most the message in flight unknown (the journal)": len(unknown) <= 1,
        "the campaign finished": state == "done",
    }
    failures += [name for name, ok in checks.items() if not ok]
    say(f"\ncampaign acceptance on postgresql ({count:,} subjects, batch {ACCEPT_BATCH})")
    say(f"  audience built: {audience:,} (hand-written rule: {len(rule_at_start):,})")
    say(f"  unsubscribed mid-campaign by one-click POST: {len(leaving)}")
    say(f"  sink at the kill -9: {at_kill:,} messages")
    say(
        f"  sink in the end: {sum(copies.values()):,} messages to {len(got):,} addresses; "
        f"the rule now names {len(expected):,}"
    )
    say(
        f"  twice: {len(twice)}; outside the rule: {len(got - expected)}; unsubscribed who got "
        f"mail: {len(got & left)}; missed: {len(missed)} (all of them 'unknown': "
        f"{missed <= unknown}); unknown that did arrive: {len(unknown & got)}"
    )
    say(f"  delivery statuses: {dict(sorted(statuses.items()))}")
    say(f"  audit entries in the database: {audit_rows:,}")
    rate = sum(copies.values()) / clock["sending_total"]
    say("  durations: " + ", ".join(f"{k} {v:.1f} s" for k, v in clock.items()))
    say(f"  sending: {rate:,.0f} msg/s overall (with the kill and restart)")
    for name, ok in checks.items():
        say(f"  [{'ok' if ok else 'FAILED'}] {name}")
    for failure in failures:
        if failure not in checks:
            say(f"  [FAILED] {failure}")
    return 1 if failures else 0


# --- entry points -------------------------------------------------------------------------


def run_audience(count: int, quick: bool, rounds: int | None = None) -> int:
    for n in (count // 10, count):
        url = pg_database(f"waarborg_bench_campaign_{n}", bench="campaign_bench")
        if url is None:
            return SKIPPED
        subprocess.run(
            [sys.executable, "-m", "bench.campaign_bench", "--count", str(n), "--fill"],
            cwd=ROOT,
            check=True,
        )
    django_setup(pg_database(f"waarborg_bench_campaign_{count}", bench="campaign_bench"))
    entries = bench_audience(count, rounds=rounds or (3 if quick else 5))
    entries += bench_memory(count)
    report(f"campaign audience benchmarks on postgresql ({count:,} subjects)", entries)
    return 0


def run_send(count: int, quick: bool) -> int:
    import os

    url = pg_database("waarborg_bench_campaign_send", bench="campaign_bench")
    if url is None:
        return SKIPPED
    sink, port = sink_start()
    try:
        os.environ["WAARBORG_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
        django_setup(url)
        send_people(count)
        entries = bench_send(count, port, rounds=2 if quick else 3)
    finally:
        sink.kill()
        sink.wait()
    report(f"campaign sending benchmark ({count:,} messages)", entries)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} subjects")
    parser.add_argument("--count", type=int, help=f"subjects (default {FULL:,})")
    parser.add_argument("--part", choices=["audience", "send", "all", "acceptance"], default="all")
    parser.add_argument("--rounds", type=int, help="timing rounds (default 5; quick 3)")
    parser.add_argument("--messages", type=int, help=f"messages to send (default {SEND_FULL:,})")
    parser.add_argument("--fill", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    count = args.count or (QUICK if args.quick else FULL)
    if args.fill or args.probe:
        django_setup(f"postgresql://postgres@127.0.0.1:5432/waarborg_bench_campaign_{count}")
        if args.fill:
            fill(count)
        else:
            print(json.dumps(memory_probe()))
        return 0
    if args.part == "acceptance":
        return run_accept(args.count or QUICK)
    messages = args.messages or (SEND_QUICK if args.quick else SEND_FULL)
    if args.part == "send":
        return run_send(messages, args.quick)
    status = 0
    if args.part == "all":  # each part in its own process: settings read DATABASE_URL once
        cmd = [sys.executable, "-m", "bench.campaign_bench", "--part", "send"]
        cmd += ["--messages", str(messages), *(["--quick"] if args.quick else [])]
        status = subprocess.run(cmd, cwd=ROOT, check=False).returncode
    return run_audience(count, args.quick, args.rounds) if status == 0 else status


if __name__ == "__main__":
    sys.exit(main())
