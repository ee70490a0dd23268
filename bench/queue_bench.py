"""The privacy officer's request queue with 10,000 open requests, on PostgreSQL.

Measured: ``GET /console/requests`` (the first page, 200 rows, and the counts of the marks) by a
logged-in privacy officer through Django's test Client, with every middleware, the session, the
single access check and the template; against raw SQL reading the same rows and the same counts
with one cursor (target: the page under 300 ms). The page's number of queries is printed too: it
does not grow with the number of requests (waarborg/console/tests/test_requests.py tests that).

The requests are written with bulk SQL: the queue never opens their sealed texts, so those
columns hold a placeholder here.
"""

from __future__ import annotations

import argparse
import random
import secrets
from datetime import date, datetime, timedelta

from bench.common import Entry, compare, django_setup, pg_database, report, say, timing

DB_NAME = "waarborg_bench_queue"
OPEN = 10_000
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
KINDS = ["access", "rectification", "erasure", "restriction", "portability", "objection"]

RAW = """
SELECT id, reference, kinds, status, received_at, due, extended_until,
       COALESCE(extended_until, due) AS deadline
FROM rights_request WHERE closed_at IS NULL
ORDER BY deadline, received_at, id LIMIT 200
"""
RAW_COUNTS = """
SELECT COUNT(*),
       COUNT(*) FILTER (WHERE status = 'open' AND COALESCE(extended_until, due) < %(today)s),
       COUNT(*) FILTER (WHERE status = 'open' AND COALESCE(extended_until, due)
                        BETWEEN %(today)s AND %(two)s),
       COUNT(*) FILTER (WHERE status = 'open' AND COALESCE(extended_until, due) > %(two)s
                        AND COALESCE(extended_until, due) <= %(seven)s),
       COUNT(*) FILTER (WHERE status = 'open' AND kinds = '["unclear"]'::jsonb)
FROM rights_request WHERE closed_at IS NULL
"""


def _fill(n: int) -> None:
    """``n`` open requests received over the last 40 days (some late, some at each mark), in
    one bulk insert; nothing else in the table."""
    from django.utils import timezone

    from waarborg.rights.deadlines import due_date
    from waarborg.rights.models import Request

    Request.objects.all().delete()
    rng = random.Random(2026)
    now = timezone.now()
    rows = []
    references: set[str] = set()
    while len(references) < n:
        references.add("R-" + "".join(rng.choice(ALPHABET) for _ in range(6)))
    for i, reference in enumerate(sorted(references)):
        received = now - timedelta(days=rng.uniform(0, 40))
        kinds = ["unclear"] if i % 25 == 0 else sorted(rng.sample(KINDS, rng.randint(1, 2)))
        rows.append(
            Request(
                reference=reference,
                kinds=kinds,
                status=Request.Status.OPEN,
                channel=rng.choice(Request.Channel.values),
                language=rng.choice(["nl", "en"]),
                received_at=received,
                due=due_date(timezone.localdate(received)),
                email="sealed",
                email_index=secrets.token_hex(32),
                confirmed_at=received,
            )
        )
    Request.objects.bulk_create(rows, batch_size=2000)


def _officer_client():
    from django.contrib.auth.models import User
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY  # type: ignore[import-untyped]
    from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]

    from waarborg.access.services import staff_create
    from waarborg.core.actors import Actor

    password = secrets.token_urlsafe(18)
    User.objects.filter(username="bench-officer").delete()
    staff_create(
        actor=Actor.job("bench"),
        username="bench-officer",
        password=password,
        roles=["privacy_officer"],
    )
    client = Client()
    assert client.login(username="bench-officer", password=password)
    device = TOTPDevice.objects.create(
        user=User.objects.get(username="bench-officer"), name="app", confirmed=True
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args()
    url = pg_database(DB_NAME, bench="queue")
    if url is None:
        return
    django_setup(url)
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0, interactive=False)
    say(f"queue: filling {OPEN:,} open requests")
    _fill(OPEN)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE rights_request")
    client = _officer_client()
    today = date.today()
    marks = {"today": today, "two": today + timedelta(2), "seven": today + timedelta(7)}

    def page() -> None:
        answer = client.get("/console/requests", HTTP_ACCEPT_LANGUAGE="en")
        assert answer.status_code == 200, answer.status_code
        assert answer.content.count(b'<th scope="row">') == 200

    def raw() -> None:
        with connection.cursor() as cursor:
            cursor.execute(RAW_COUNTS, marks)
            cursor.fetchall()
            cursor.execute(RAW)
            assert len(cursor.fetchall()) == 200

    page()
    with CaptureQueriesContext(connection) as captured:
        page()
    queries = len(captured)  # now: the log is a bounded deque that the rounds below rotate
    rounds = 10 if args.quick else args.rounds
    say(f"queue: {rounds} rounds, the page vs raw SQL, {queries} queries per page")
    pair = compare(page, raw, rounds=rounds)
    report(
        f"The request queue at {OPEN:,} open requests (PostgreSQL), {datetime.now():%Y-%m-%d}",
        [
            timing("queue.page_10000_open", pair, note="target: value < 300 ms"),
            Entry("queue.page_queries", queries, "queries", queries, note="same at 10 rows"),
        ],
    )


if __name__ == "__main__":
    main()
