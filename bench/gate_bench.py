"""Purpose-gate benchmarks over a populated vault, on SQLite and on PostgreSQL.

For each database (each in its own process, because settings read ``DATABASE_URL`` at import):

(a) ``gate.<db>.<N>.gate_fields``: ``gate_fields(actor=support, purpose="administration",
    subject=id)`` for one subject vs a raw ORM fetch of the same row plus decryption of the same
    fields with ``waarborg.gate.decrypt.open_values``. Target ratio <= 2.
    Diagnostics against the same baseline: ``...gate_fields.unsealed`` (what-if: the after-commit
    audit sealer switched off; the entry is still written), ``...audit_seal_idle`` (one
    ``audit_seal()`` with nothing pending: the fixed cost of a sealing run) and
    ``...audited_write_floor`` (a one-row INSERT and COMMIT: the least an audited read can cost).
(b) ``gate.<db>.<N>.gate_subjects.newsletter``: the ids of the newsletter audience among N
    subjects through ``gate_subjects`` vs a hand-written SQL query with the same conditions.
    Target ratio <= 1.5. ``...unsealed`` is the what-if without the sealer, ``...sql_only`` the
    ORM's generated SQL run raw (query shape only, no audit and no row conversion).
(c) ``gate.<db>.<N>.audience_iter.*``: iterating the audience with ``.iterator()`` over N subjects
    vs over the first N/10 (each in a fresh process): peak Python allocations (tracemalloc) and
    the process's peak RSS. Flat memory means a ratio near 1.

The vault is filled once per database and size (subject_build + bulk inserts, consent states and
audit entries as the services would write them) and reused by later runs: SQLite in
``$TMPDIR/waarborg-bench-<N>.sqlite3``, PostgreSQL in ``waarborg_bench`` (N = 100,000) or
``waarborg_bench_<N>``. After filling, ``ANALYZE`` gives the planner statistics (as autovacuum
would); without them PostgreSQL plans the audience as nested loops over "1 row" tables.

Run: ``python -m bench.gate_bench [--db sqlite|postgresql|all] [--quick] [--count N]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    ROOT,
    SKIPPED,
    Entry,
    Pair,
    compare,
    compare_each,
    django_setup,
    report,
    say,
    timing,
)

PG_URL = "postgresql://postgres@127.0.0.1:5432/waarborg_bench"
FULL = 100_000
QUICK = 10_000
BATCH = 2_000
SEED = 2026
# Bump when the generated data changes shape: a database filled by another layout is refilled.
LAYOUT = f"v1 seed={SEED}"

FIRST = ["Anna", "Bram", "Carla", "Daan", "Eva", "Fleur", "Gijs", "Hanna", "Ivo", "Julia"]
FIRST += ["Koen", "Lotte", "Milan", "Noor", "Olaf", "Pien", "Ruben", "Sanne", "Thijs", "Vera"]
LAST = ["de Vries", "Jansen", "van Dijk", "Bakker", "Visser", "Smit", "Meijer", "de Boer"]
LAST += ["Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker"]
STREETS = ["Keizersgracht", "Dorpsstraat", "Kerkstraat", "Stationsweg", "Molenweg", "Markt"]
CITIES = ["Amsterdam", "Utrecht", "Rotterdam", "Zwolle", "Groningen", "Eindhoven", "Leiden"]
LETTERS = "ABCDEFGHJKLMNPRTVWXZ"
# Per consent purpose: cumulative chances of (granted, pending, withdrawn, objected).
CONSENT_MIX = {"newsletter": (0.40, 0.45, 0.50, 0.52), "offers": (0.20, 0.22, 0.25, 0.27)}


def _k(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


# --- databases ----------------------------------------------------------------------------


def sqlite_path(count: int) -> Path:
    return Path(tempfile.gettempdir()) / f"waarborg-bench-{count}.sqlite3"


def pg_url_for(base: str, count: int) -> str:
    if count == FULL:
        return base
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_{count}"))


def _pg_admin(url: str) -> tuple[str, str]:
    """The maintenance database's URL and the name of the bench database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def pg_ensure(url: str, *, fresh: bool = False) -> bool:
    """Create the bench database if missing (``fresh``: drop it first). False: no PostgreSQL."""
    import psycopg
    from psycopg import sql

    admin, name = _pg_admin(url)
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        say(f"PostgreSQL is not reachable at {admin}: {str(exc).strip()}")
        return False
    with conn:
        if fresh:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if found is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            say(f"created PostgreSQL database {name}")
    return True


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta "
            "(name varchar(64) PRIMARY KEY, value varchar(200) NOT NULL)"
        )
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_probe (note varchar(64) NOT NULL)")
        cursor.execute("DELETE FROM bench_probe")


def _meta(name: str) -> str | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM bench_meta WHERE name = %s", [name])
        row = cursor.fetchone()
    return None if row is None else str(row[0])


def _meta_set(name: str, value: str) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM bench_meta WHERE name = %s", [name])
        cursor.execute("INSERT INTO bench_meta (name, value) VALUES (%s, %s)", [name, value])


def _stale_reason(count: int) -> str:
    """Why the existing bench data cannot be reused ("" if it can, or if it is empty)."""
    from waarborg.vault import keys
    from waarborg.vault.models import Subject, VaultKey

    have = Subject.objects.count()
    if have == 0:
        return ""
    if _meta("layout") != LAYOUT:
        return "it was filled by another version of the bench"
    if have > count:
        return f"it holds {have:,} subjects, more than {count:,}"
    known = set(keys.keyring().by_id)
    if VaultKey.objects.exclude(kek_id__in=known).exists() or (
        Subject.objects.filter(wrapped_dek__isnull=False).exclude(kek_id__in=known).exists()
    ):
        return "its data keys are wrapped by a KEK that is not configured now"
    return ""


def prepare(db: str, count: int, url: str) -> None:
    """Migrate, throw away unusable bench data, and fill the vault up to ``count`` subjects."""
    from django.db import connections

    _migrate()
    reason = _stale_reason(count)
    if reason:
        say(f"{db}: recreating the bench database: {reason}")
        connections.close_all()
        if db == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_path(count)}{suffix}").unlink(missing_ok=True)
        else:
            pg_ensure(url, fresh=True)
        _migrate()
    populate(db, count)


# --- data ---------------------------------------------------------------------------------


def _ibans() -> list[str]:
    from schwifty import IBAN

    return [
        str(IBAN.generate("NL", bank_code="INGB", account_code=str(4_000_000 + i * 7919).zfill(10)))
        for i in range(16)
    ]


def _person(rng: random.Random, n: int, ibans: list[str]) -> tuple[str, str, dict[str, object]]:
    """(kind, product, fields) of subject number ``n``: simple values that pass validation."""
    u = rng.random()
    kind = "customer" if u < 0.90 else "newsletter_subscriber" if u < 0.95 else "visitor"
    paid = kind == "customer" and rng.random() < 0.35
    first, last = rng.choice(FIRST), rng.choice(LAST)
    local = f"{first}.{last.replace(' ', '')}.{n}".lower()
    fields: dict[str, object] = {"name": f"{first} {last}", "email": f"{local}@example.nl"}
    if kind == "customer":
        if paid or rng.random() < 0.5:
            fields.update(
                street=rng.choice(STREETS),
                house_number=str(rng.randint(1, 250)),
                postcode=f"{rng.randint(1000, 9999)} {rng.choice(LETTERS)}{rng.choice(LETTERS)}",
                city=rng.choice(CITIES),
            )
        if rng.random() < 0.6:
            fields["phone"] = f"06{rng.randint(1, 5)}{rng.randint(1_000_000, 9_999_999)}"
        if rng.random() < 0.7:
            fields["gender"] = rng.choice(["female", "male", "other", "not_stated"])
        if paid:
            fields["iban"] = rng.choice(ibans)
    return kind, "aplanner-pro" if paid else "aplanner-free", fields


Built = tuple[list[Any], list[Any], list[Any]]


def _build(start: int, size: int) -> Built:
    """Subjects ``start`` .. ``start + size - 1`` with their consent states and audit entries, as
    ``subjects_bulk_create`` and the consent services would write them, plus withdrawals,
    objections, restrictions and erasures."""
    from django.utils import timezone

    from waarborg.audit.models import AuditEntry
    from waarborg.audit.services import audit_entry
    from waarborg.core.actors import Actor
    from waarborg.vault.models import PurposeState, Subject
    from waarborg.vault.services import subject_build

    rng = random.Random(SEED * 1_000_003 + start)
    actor = Actor.job("bench")
    now = timezone.now()
    subjects: list[Subject] = []
    states: list[PurposeState] = []
    entries: list[AuditEntry] = []

    def log(action: str, subject: Subject, **about: Any) -> None:
        entries.append(audit_entry(actor=actor, action=action, subject_id=subject.id, **about))

    for n in range(start, start + size):
        kind, product, fields = _person(rng, n, _IBANS)
        subject = subject_build(product=product, fields=fields, kind=kind)
        subjects.append(subject)
        log("subject.create", subject, fields=list(subject.values))
        for purpose, (granted, pending, withdrawn, objected) in CONSENT_MIX.items():
            r = rng.random()
            if r >= objected:
                continue
            consent = (
                PurposeState.Consent.GRANTED
                if r < granted
                else PurposeState.Consent.PENDING
                if r < pending
                else PurposeState.Consent.WITHDRAWN
            )
            states.append(
                PurposeState(
                    subject=subject,
                    purpose=purpose,
                    consent=consent,
                    objected=r >= withdrawn,
                    updated_at=now,
                )
            )
            log("objection.record" if r >= withdrawn else "consent.grant", subject, purpose=purpose)
        fate = rng.random()
        if fate < 0.01:
            log("subject.erase", subject, fields=list(subject.values))
            subject.values, subject.wrapped_dek, subject.email_index = {}, None, None
            subject.erased_at = now
        elif fate < 0.02:
            subject.restricted_at = now
            log("subject.restrict", subject)
    return subjects, states, entries


_IBANS: list[str] = []


def _store(built: Built) -> None:
    from django.db import transaction

    from waarborg.audit.models import AuditEntry
    from waarborg.audit.services import audit_seal
    from waarborg.vault.models import PurposeState, Subject

    subjects, states, entries = built
    with transaction.atomic():
        Subject.objects.bulk_create(subjects, batch_size=1000)
        PurposeState.objects.bulk_create(states, batch_size=1000)
        AuditEntry.objects.bulk_create(entries, batch_size=2000)
    audit_seal()  # as audit_record_many does after its commit


def populate(db: str, count: int) -> None:
    from waarborg.audit.models import AuditEntry
    from waarborg.audit.services import audit_seal
    from waarborg.vault.models import Subject

    have = Subject.objects.count()
    if have >= count:
        say(f"{db}: reusing the bench vault with {have:,} subjects")
    else:
        _meta_set("layout", LAYOUT)
        say(f"{db}: filling the bench vault from {have:,} to {count:,} subjects (once)")
        _IBANS[:] = _ibans()
        started, added = time.perf_counter(), 0
        for n in range(have, count, BATCH):
            built = _build(n, min(BATCH, count - n))
            _store(built)
            added += len(built[0])
            if added % (BATCH * 5) == 0 or have + added == count:
                rate = added / (time.perf_counter() - started)
                say(f"  {have + added:,}/{count:,} subjects ({rate:,.0f}/s)")
    if AuditEntry.objects.filter(seal__isnull=True).exists():
        started = time.perf_counter()
        sealed = audit_seal(scan_all=True)
        say(f"  sealed {sealed:,} audit entries in {time.perf_counter() - started:.1f} s")
    _analyze()


def _analyze() -> None:
    """Planner statistics, as a maintained database has them (autovacuum on PostgreSQL; without
    them PostgreSQL guesses one row per table after a bulk load and picks nested loops)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- actors and the audience --------------------------------------------------------------


def _actor(role: str) -> Any:
    from waarborg.core.actors import Actor

    return Actor(kind="staff", name=f"bench-{role}", roles=frozenset({role}))


def audience(queryset: Any) -> Any:
    """The newsletter audience within ``queryset``, through the gate."""
    from waarborg.gate.services import Refused, gate_subjects

    narrowed = gate_subjects(actor=_actor("marketing"), purpose="newsletter", queryset=queryset)
    if isinstance(narrowed, Refused):
        raise RuntimeError(f"gate_subjects refused: {narrowed.reason}")
    return narrowed


def audience_sql() -> tuple[str, list[str]]:
    """The newsletter audience by hand: not erased, not restricted, a subject kind of the purpose,
    consent granted, no objection (direct marketing: any objection blocks)."""
    from waarborg.policy.selectors import policy_current
    from waarborg.vault.models import PurposeState, Subject

    spec = policy_current().policy.purposes["newsletter"]
    subjects, states = Subject._meta.db_table, PurposeState._meta.db_table
    kinds = list(spec.subject_kinds)
    marks = ", ".join(["%s"] * len(kinds))
    query = (
        f"SELECT s.id FROM {subjects} s "
        f"WHERE s.erased_at IS NULL AND s.restricted_at IS NULL AND s.kind IN ({marks}) "
        f"AND EXISTS (SELECT 1 FROM {states} c WHERE c.subject_id = s.id "
        "AND c.purpose = %s AND c.consent = %s) "
        f"AND NOT EXISTS (SELECT 1 FROM {states} o WHERE o.subject_id = s.id "
        "AND o.purpose = %s AND o.objected)"
    )
    return query, [*kinds, "newsletter", str(PurposeState.Consent.GRANTED), "newsletter"]


@contextmanager
def _queries() -> Iterator[list[dict[str, Any]]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        found: list[dict[str, Any]] = []
        yield found
    found.extend(
        q
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT"))
    )


# --- measurements -------------------------------------------------------------------------


def bench_fields(prefix: str, rounds: int, sample: int, budget: float) -> list[Entry]:
    from waarborg.audit.services import audit_seal
    from waarborg.gate.decrypt import open_values
    from waarborg.gate.services import Allowed, gate_fields
    from waarborg.policy.checks import covered
    from waarborg.policy.selectors import policy_current
    from waarborg.vault.models import Subject

    policy = policy_current().policy
    spec = policy.purposes["administration"]
    visible = {f for f, fs in policy.fields.items() if covered(spec.categories, fs.category)}
    support = _actor("support")
    candidates = list(
        Subject.objects.filter(
            kind__in=spec.subject_kinds, erased_at__isnull=True, restricted_at__isnull=True
        ).values_list("id", flat=True)
    )
    ids = random.Random(SEED).sample(candidates, min(sample, len(candidates)))

    def through_gate(subject_id: UUID) -> dict[str, str]:
        result = gate_fields(actor=support, purpose="administration", subject=subject_id)
        if not isinstance(result, Allowed):
            raise RuntimeError(f"gate_fields refused {subject_id}: {result.reason}")
        return result.fields

    def raw(subject_id: UUID) -> dict[str, str]:
        subject = Subject.objects.get(id=subject_id)
        return open_values(subject, sorted(f for f in subject.values if f in visible))

    for subject_id in ids[:20]:
        if through_gate(subject_id) != raw(subject_id):
            raise RuntimeError(f"gate_fields and the baseline disagree on {subject_id}")
    with _queries() as gate_q:
        through_gate(ids[0])
    with _queries() as raw_q:
        raw(ids[0])
    say(f"  gate_fields: {len(gate_q)} queries per call, baseline {len(raw_q)}")
    _say_queries(gate_q)

    pair = compare_each(ids, through_gate, raw, rounds=rounds, budget=budget)
    entries = [
        timing(
            f"{prefix}.gate_fields",
            pair,
            note=f"vs ORM get + open_values; {len(gate_q)} queries vs {len(raw_q)}",
        )
    ]
    entries += _unsealed(
        f"{prefix}.gate_fields",
        lambda: compare_each(ids, through_gate, raw, rounds=rounds, budget=budget),
        note="no audit_seal after each commit",
    )
    # What the sealer costs every commit even with nothing to seal (it scans its window), and the
    # least an audited read can cost: one small INSERT in its own transaction.
    against_raw: list[tuple[str, Callable[[Any], object], str]] = [
        ("audit_seal_idle", lambda _: audit_seal(), "audit_seal() with nothing pending"),
        ("audited_write_floor", lambda _: _write_probe(), "INSERT of one row + COMMIT"),
    ]
    for name, work, what in against_raw:
        measured = compare_each(ids, work, raw, rounds=rounds, budget=budget / 2)
        entries.append(timing(f"{prefix}.{name}", measured, note=f"{what} vs the same baseline"))
    return entries


def _say_queries(queries: list[dict[str, Any]]) -> None:
    for q in queries:
        say(f"    {q['time']}s  {q['sql'][:110]}")


def _unsealed(name: str, measure: Callable[[], Pair], *, note: str) -> list[Entry]:
    """``name`` measured again without the audit sealer (what-if), if the code still has the hook
    to switch it off."""
    with no_seal() as hooked:
        return [timing(f"{name}.unsealed", measure(), note=f"what-if: {note}")] if hooked else []


def _rows(query: str, params: Any) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(query, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


@contextmanager
def no_seal() -> Iterator[bool]:
    """What-if: switch off the audit sealer that runs after every commit (entries are still
    written, and sealed when the block ends). Yields False if the code has no such hook now."""
    from waarborg.audit import services as audit_services

    hook = "_seal_after_commit"  # private: looked up by name so the bench survives a rename
    real = getattr(audit_services, hook, None)
    if real is None:
        say("  (audit_services._seal_after_commit is gone: what-if figures skipped)")
        yield False
        return
    setattr(audit_services, hook, lambda: None)
    try:
        yield True
    finally:
        setattr(audit_services, hook, real)
        audit_services.audit_seal()


def _write_probe() -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_probe (note) VALUES (%s)", ["gate read"])


def bench_subjects(prefix: str, rounds: int) -> list[Entry]:
    from waarborg.vault.models import Subject

    query, params = audience_sql()

    def through_gate() -> list[UUID]:
        return list(audience(Subject.objects.all()).values_list("id", flat=True))

    def by_hand() -> list[tuple[Any, ...]]:
        return _rows(query, params)

    ours = through_gate()
    theirs = {UUID(str(row[0])) for row in by_hand()}
    if set(ours) != theirs or len(ours) != len(theirs):
        raise RuntimeError(f"audience differs: gate {len(ours):,}, SQL {len(theirs):,}")
    with _queries() as gate_q:
        through_gate()
    total = Subject.objects.count()
    say(f"  gate_subjects: audience {len(ours):,} of {total:,}; {len(gate_q)} queries")
    _say_queries(gate_q)
    pair: Pair = compare(through_gate, by_hand, rounds=rounds, warmup=1)
    entries = [
        timing(
            f"{prefix}.gate_subjects.newsletter",
            pair,
            note=f"{len(ours):,} ids of {total:,}; vs hand-written SQL",
        )
    ]
    # Where the difference goes: the audit sealer, and the shape of the generated SQL alone.
    entries += _unsealed(
        f"{prefix}.gate_subjects.newsletter",
        lambda: compare(through_gate, by_hand, rounds=max(rounds - 2, 3), warmup=0),
        note="no audit_seal after the selection's entry",
    )
    orm_sql, orm_params = (
        audience(Subject.objects.all()).values_list("id", flat=True).query.sql_with_params()
    )

    def generated() -> list[tuple[Any, ...]]:
        return _rows(orm_sql, orm_params)

    shape = compare(generated, by_hand, rounds=max(rounds - 2, 3), warmup=0)
    entries.append(
        timing(
            f"{prefix}.gate_subjects.newsletter.sql_only",
            shape,
            note="the ORM's SQL run raw (no audit, no row conversion)",
        )
    )
    return entries


def memory_probe(limit: int, chunk: int) -> dict[str, float]:
    """In a fresh process: iterate the newsletter audience among the first ``limit`` subjects
    with ``.iterator(chunk_size=chunk)``; report the rows, peak RSS and peak traced allocations."""
    from waarborg.vault.models import Subject

    total = Subject.objects.count()
    queryset = Subject.objects.all()
    if limit < total:
        cutoff = Subject.objects.order_by("created_at").values_list("created_at", flat=True)[
            limit - 1
        ]
        queryset = Subject.objects.filter(created_at__lte=cutoff)
    narrowed = audience(queryset)

    def walk() -> int:
        rows = 0
        for subject in narrowed.iterator(chunk_size=chunk):
            rows += len(subject.values) > 0
        return rows

    walk()  # warm: imports, caches, connection
    gc.collect()
    rows = walk()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    tracemalloc.start()
    walk()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"rows": rows, "rss_kib": float(rss), "traced_bytes": float(peak)}


def bench_memory(prefix: str, db: str, count: int, url: str, *, chunk: int) -> list[Entry]:
    small = count // 10
    probes: dict[int, dict[str, float]] = {}
    for limit in (small, count):
        cmd = [sys.executable, "-m", "bench.gate_bench", "--db", db, "--count", str(count)]
        cmd += ["--url", url, "--memory-probe", str(limit), "--chunk", str(chunk)]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"memory probe failed:\n{done.stdout}\n{done.stderr}")
        probes[limit] = json.loads(done.stdout.strip().splitlines()[-1])
    a, b = probes[small], probes[count]
    say(
        f"  audience .iterator(): {a['rows']:,.0f} rows (first {small:,} subjects) vs "
        f"{b['rows']:,.0f} rows ({count:,})"
    )
    rows = f"{b['rows']:,.0f} vs {a['rows']:,.0f} rows"
    return [
        Entry(
            f"{prefix}.audience_iter.tracemalloc_peak",
            b["traced_bytes"] / 1024,
            "KiB",
            a["traced_bytes"] / 1024,
            note=f"{_k(count)} vs {_k(small)} subjects ({rows}), chunk_size={chunk}",
        ),
        Entry(
            f"{prefix}.audience_iter.rss_peak",
            b["rss_kib"] / 1024,
            "MiB",
            a["rss_kib"] / 1024,
            note=f"process peak RSS, {_k(count)} vs {_k(small)} subjects",
        ),
    ]


# --- entry points -------------------------------------------------------------------------


def run_one(db: str, count: int, url: str, *, quick: bool) -> int:
    if db == "postgresql" and not pg_ensure(url):
        say("postgresql: SKIPPED (start PostgreSQL to run this part)")
        return SKIPPED
    django_setup(url)
    from django.db import connection

    say(f"{db}: {connection.vendor} database {connection.settings_dict['NAME']}")
    prepare(db, count, url)
    prefix = f"gate.{db}.{_k(count)}"
    entries = bench_fields(
        prefix, rounds=2 if quick else 3, sample=100 if quick else 200, budget=8 if quick else 20
    )
    entries += bench_subjects(prefix, rounds=5 if quick else 7)
    # Django's default chunk (2,000 rows); smaller in a quick run, where the small audience
    # (a few hundred rows) would otherwise fit in one chunk and the ratio would only show that.
    entries += bench_memory(prefix, db, count, url, chunk=200 if quick else 2000)
    report(f"gate benchmarks on {db} ({count:,} subjects)", entries)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "all"], default="all")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} subjects, fewer rounds")
    parser.add_argument("--count", type=int, help=f"subjects in the vault (default {FULL:,})")
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL bench database (N=100k)")
    parser.add_argument("--url", help=argparse.SUPPRESS)  # the exact DATABASE_URL (probes)
    parser.add_argument("--memory-probe", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--chunk", type=int, default=2000, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    count = args.count or (QUICK if args.quick else FULL)

    if args.db == "all":
        status = 0
        for db in ("sqlite", "postgresql"):
            cmd = [sys.executable, "-m", "bench.gate_bench", "--db", db, "--count", str(count)]
            cmd += ["--pg-url", args.pg_url] + (["--quick"] if args.quick else [])
            code = subprocess.run(cmd, cwd=ROOT, check=False).returncode
            status = max(status, code if code != SKIPPED else 0)
        return status

    url = args.url or (
        f"sqlite:///{sqlite_path(count)}" if args.db == "sqlite" else pg_url_for(args.pg_url, count)
    )
    if args.memory_probe:
        django_setup(url)
        print(json.dumps(memory_probe(args.memory_probe, args.chunk)))
        return 0
    return run_one(args.db, count, url, quick=args.quick)


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
