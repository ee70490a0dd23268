"""Carrying out rights requests on PostgreSQL, in a vault of 1,000,000 subjects.

- ``rights.access_export``: the work of an access (and portability) request for one person with
  100,000 audit entries and 1,000 consent events: the vault connector's retrieve (every value
  through the gate, the history, the access log built by the database, each read audited), the
  sealed hand-over between the steps, and the zip (page, JSON, CSV). Baseline: raw SQL reading
  the same rows (the subject, its events, its audit entries) with a plain cursor. Targets: under
  1 s, ratio <= 3.
- ``rights.erasure``: the erase step of one paid customer (the books kept restricted, the rest
  gone, audited), against a raw UPDATE of one subject row in its own transaction. Target: under
  200 ms.

The vault is filled with bulk SQL (INSERT ... SELECT generate_series: subjects, one audit entry
each, and the measured person's 100,000 entries and 1,000 events): about 35 s for 1,000,000
subjects on two busy cores; sealing the audit chain over the new entries (in Python, as every
process does after its commits) takes most of the rest, 263 s in all when measured. It is reused
by later runs (database ``waarborg_rights_bench``; ``--quick``:
20,000 subjects in ``waarborg_rights_bench_20k``).

Run: ``python -m bench.rights_bench [--quick] [--count N]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from datetime import datetime
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import (
    ROOT,
    SKIPPED,
    Entry,
    compare,
    compare_each,
    django_setup,
    pg_database,
    report,
    say,
    timing,
)

FULL, QUICK = 1_000_000, 20_000
LOG_ENTRIES, EVENTS = 100_000, 1_000
LAYOUT = "rights-1"  # change when the fill changes: older bench data is then rebuilt


def _name(count: int) -> str:
    return "waarborg_rights_bench" if count == FULL else f"waarborg_rights_bench_{count // 1000}k"


def _sql(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return list(cursor.fetchall()) if cursor.description else []


def _meta(name: str) -> str | None:
    _sql("CREATE TABLE IF NOT EXISTS bench_meta (name varchar(64) PRIMARY KEY, value text)")
    rows = _sql("SELECT value FROM bench_meta WHERE name = %s", [name])
    return str(rows[0][0]) if rows else None


def _meta_set(name: str, value: str) -> None:
    _sql(
        "INSERT INTO bench_meta (name, value) VALUES (%s, %s) "
        "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
        [name, value],
    )


def _fill(count: int) -> str:
    """Bulk-fill ``count`` subjects with one audit entry each, then the measured person; the
    measured person's id."""
    from waarborg.audit.services import audit_seal
    from waarborg.vault.services import subject_create
    from waarborg.vault.tests.factories import SIGNUP, pro_fields

    started = time.perf_counter()
    for table in ("audit_auditseal", "audit_auditentry", "vault_purposeevent"):
        _sql(f"TRUNCATE {table} CASCADE")
    _sql("TRUNCATE vault_subject CASCADE")
    _sql(
        "INSERT INTO vault_subject (id, kind, product, values, kek_id, created_at, updated_at) "
        "SELECT gen_random_uuid(), 'customer', 'aplanner-free', '{}'::jsonb, '', now(), now() "
        "FROM generate_series(1, %s)",
        [count - 1],
    )
    _sql(
        "INSERT INTO audit_auditentry "
        "(at, actor, subject_id, purpose, action, fields, decision, reason, detail) "
        "SELECT created_at, 'system:signup-form', id, '', 'subject.create', "
        "'[\"name\", \"email\"]'::jsonb, '', '', '{}'::jsonb FROM vault_subject"
    )
    say(f"  {count - 1:,} subjects and their audit entries: {time.perf_counter() - started:.0f} s")
    sealing = time.perf_counter()
    sealed = audit_seal(scan_all=True)  # the hash chain over the new entries, as a worker would
    say(f"  audit chain sealed ({sealed:,} entries): {time.perf_counter() - sealing:.0f} s")
    person = subject_create(actor=SIGNUP, product="aplanner-pro", fields=pro_fields())
    _sql(
        "INSERT INTO audit_auditentry "
        "(at, actor, subject_id, purpose, action, fields, decision, reason, detail) "
        "SELECT now() - make_interval(secs => g), "
        "(ARRAY['staff:support-1', 'system:aplanner-app', 'staff:billing-2'])[1 + g %% 3], %s, "
        "(ARRAY['administration', 'invoicing', 'newsletter', 'security'])[1 + g %% 4], "
        "(ARRAY['gate.read', 'gate.check', 'subject.update'])[1 + g %% 3], "
        "'[\"name\", \"email\", \"city\"]'::jsonb, 'allowed', '', '{}'::jsonb "
        "FROM generate_series(1, %s) g",
        [person.id, LOG_ENTRIES],
    )
    _sql(
        "INSERT INTO vault_purposeevent "
        "(subject_id, purpose, kind, at, text_version, channel, source, policy_digest, note) "
        "SELECT %s, (ARRAY['newsletter', 'offers'])[1 + g %% 2], "
        "(ARRAY['consent_given', 'consent_confirmed', 'consent_withdrawn'])[1 + g %% 3], "
        "now() - make_interval(mins => g), 'nb-2026-' || (g %% 7), 'web', "
        "'system:aplanner-app', repeat('a', 64), '' FROM generate_series(1, %s) g",
        [person.id, EVENTS],
    )
    _sql("ANALYZE")
    say(f"  filled in {time.perf_counter() - started:.0f} s")
    return str(person.id)


def prepare(count: int) -> str:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("policy", "apply", verbosity=0)
    have = _sql("SELECT count(*) FROM vault_subject")[0][0]
    person = _meta("person")
    if _meta("layout") != LAYOUT or have != count or person is None or not _usable(person):
        say(f"filling {count:,} subjects (bulk SQL)")
        person = _fill(count)
        _meta_set("layout", LAYOUT)
        _meta_set("person", person)
    return person


def _usable(person: str) -> bool:
    """The measured person's values open under the KEK configured now."""
    from waarborg.gate.services import Allowed, gate_fields
    from waarborg.vault.tests.factories import OFFICER

    try:
        read = gate_fields(actor=OFFICER, purpose="administration", subject=uuid.UUID(person))
    except Exception:
        return False
    return isinstance(read, Allowed)


def bench_access(person: str, *, rounds: int) -> list[Entry]:
    from waarborg.connectors.base import Person
    from waarborg.connectors.vault import VaultConnector
    from waarborg.rights.exports import export_archive
    from waarborg.rights.models import Request, Step
    from waarborg.rights.payloads import payload_seal

    subject_id = uuid.UUID(person)
    request = Request(
        reference="R-BENCH2",
        kinds=["access", "portability"],
        language="en",
        received_at=datetime.now().astimezone(),
    )
    step = Step(id=10**9, request=request, action="retrieve", system="vault", status="done")
    sizes: list[int] = []

    def export() -> None:
        got = VaultConnector().retrieve(Person(subject_id, request.reference, str(step.pk)))
        step.payload = payload_seal(step, got)
        sizes.append(len(export_archive(request, [step])))

    def raw() -> None:
        _sql(
            "SELECT id, kind, product, values, wrapped_dek FROM vault_subject WHERE id = %s",
            [subject_id],
        )
        _sql("SELECT * FROM vault_purposeevent WHERE subject_id = %s ORDER BY at, id", [subject_id])
        _sql(
            "SELECT at, actor, purpose, action, fields, decision, reason FROM audit_auditentry "
            "WHERE subject_id = %s ORDER BY id",
            [subject_id],
        )

    pair = compare(export, raw, rounds=rounds, warmup=1)
    note = f"{LOG_ENTRIES:,} log entries, {EVENTS:,} events; zip {sizes[-1] / 1e6:.1f} MB"
    return [timing("rights.access_export", pair, note=note)]


def bench_erasure(*, rounds: int) -> list[Entry]:
    from django.db import transaction

    from waarborg.connectors.base import Person
    from waarborg.connectors.vault import VaultConnector
    from waarborg.vault.services import subject_create
    from waarborg.vault.tests.factories import SIGNUP, pro_fields

    people = [
        subject_create(actor=SIGNUP, product="aplanner-pro", fields=pro_fields()).id
        for _ in range(2 * rounds)
    ]
    floor = iter(people[rounds:])

    def erase(subject_id: uuid.UUID) -> None:
        VaultConnector().erase(Person(subject_id, "R-BENCH2", "1"))

    def update(_: uuid.UUID) -> None:
        with transaction.atomic():
            _sql(
                "UPDATE vault_subject SET values = '{}'::jsonb, wrapped_dek = NULL, "
                "erased_at = now() WHERE id = %s",
                [next(floor)],
            )

    pair = compare_each(people[:rounds], erase, update, rounds=1, warmup=0, minimum=1)
    return [timing("rights.erasure", pair, note="paid customer: books kept restricted")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} subjects, fewer rounds")
    parser.add_argument("--count", type=int, help=f"subjects in the vault (default {FULL:,})")
    args = parser.parse_args(argv)
    count = args.count or (QUICK if args.quick else FULL)
    url = pg_database(_name(count), bench="rights")
    if url is None:
        return SKIPPED
    django_setup(url)
    person = prepare(count)
    rounds = 3 if args.quick else 7
    entries = bench_access(person, rounds=rounds) + bench_erasure(rounds=10 if args.quick else 30)
    report(f"rights benchmarks on PostgreSQL ({count:,} subjects)", entries)
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
