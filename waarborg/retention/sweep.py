"""``waarborg retention sweep``: remove what is due, in batches, and certify it.

**Claims.** On PostgreSQL a batch of due rows is locked in the batch's own transaction
(``_lock``, FOR UPDATE SKIP LOCKED): another worker passes them, and they are done at the commit
or free again if the process dies. On SQLite a batch is taken with one conditional UPDATE
(``_claim``): due rows nobody claimed get this run's id, and the outer ``claimed_by IS NULL`` is
checked again on the locked row, so two workers never take the same row.

**Records.** Rows of a model whose rows each go on their own (billing's invoices) are claimed
with the rest; ``_records`` deletes them through their model (``retention_remove``) in the batch's
transaction, with one audit entry each, and the certificate lists them.

**Resuming.** A batch's removals, the audit entries, the ledger records and the rows marked done
commit together. A run whose process died (same host and its pid is gone, or no sign of life
for ``LEASE``) is taken over by the next sweep: it first finishes the rows that run had claimed,
then goes on, and certifies under the run's own id; so a run killed mid-way still ends with one
complete certificate, nothing done twice and nothing missed.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from waarborg.audit.services import (
    BackgroundSealer,
    audit_entry,
    audit_record_many,
    audit_seal,
    sealer_not_inline,
    sealer_use_background,
    sealer_use_inline,
)
from waarborg.core.actors import Actor
from waarborg.core.processes import pid_alive
from waarborg.policy.checks import covered
from waarborg.policy.selectors import policy_current
from waarborg.retention.certificates import certificate_sign
from waarborg.retention.models import RetentionItem, SweepRun
from waarborg.retention.schedule import record_models, schedule_rules
from waarborg.vault.retire import Keep, subjects_retire

BATCH = 10_000  # rows per transaction, as bench/sweep_bench.py measures the sweep
RECORD_DELETE = "retention.record_delete"
LEASE = dt.timedelta(minutes=10)
Progress = Callable[[int, int], None]


def _worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _dead(run: SweepRun, now: dt.datetime) -> bool:
    host, _, pid = run.worker.rpartition(":")
    alive = pid_alive(pid) if host == socket.gethostname() else None
    if alive is None:  # another host: no sign of life for LEASE
        return run.alive_at < now - LEASE
    # Still alive: only this very process's own earlier run (stopped by ``limit``) is free.
    return not alive or int(pid) == os.getpid()


def _run_take(actor: Actor, now: dt.datetime) -> SweepRun:
    """An abandoned run to finish, or a new one."""
    with transaction.atomic():
        for run in SweepRun.objects.select_for_update().filter(finished_at__isnull=True):
            if _dead(run, now):
                run.worker, run.alive_at = _worker(), now
                run.save(update_fields=["worker", "alive_at"])
                return run
        return SweepRun.objects.create(
            started_at=now, actor=actor.label, worker=_worker(), alive_at=now
        )


@dataclass(slots=True)
class Claimed:
    """A claimed schedule row, as much of it as the sweep needs (no model instance per row)."""

    id: int
    subject_id: UUID
    purpose: str
    record: str = ""
    record_id: int | None = None
    outcome: str = ""
    fields: list[str] = field(default_factory=list)


_CLAIMED = ("id", "subject_id", "purpose", "record", "record_id")


def _claim(run: SweepRun, now: dt.datetime, size: int) -> list[Claimed]:
    """This run's unfinished claims (after a takeover), else a fresh batch of due rows."""
    mine = RetentionItem.objects.filter(claimed_by=run, done_at__isnull=True)
    taken = [Claimed(*row) for row in mine.values_list(*_CLAIMED)[:size]]
    if taken:
        return taken
    table = RetentionItem._meta.db_table
    pick = (
        f"SELECT id FROM {table} WHERE done_at IS NULL AND due_at <= %s "  # noqa: S608
        "AND claimed_by_id IS NULL ORDER BY due_at LIMIT %s"
    )
    # PostgreSQL may run an IN (... LIMIT ...) subquery once per row and so claim more than the
    # batch; ARRAY(...) runs it once. SKIP LOCKED passes rows another claim is taking.
    picked = (
        f"= ANY(ARRAY({pick} FOR UPDATE SKIP LOCKED))"
        if connection.vendor == "postgresql"
        else f"IN ({pick})"
    )
    # Uses retention_item_due_idx (done_at IS NULL, due_at order).
    sql = (
        f"UPDATE {table} SET claimed_by_id = %s, claimed_at = %s WHERE id {picked} "  # noqa: S608
        "AND claimed_by_id IS NULL RETURNING id, subject_id, purpose, record, record_id"
    )
    uuid = RetentionItem._meta.get_field("subject_id")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [run.id, now, now, size])
        return [
            Claimed(pk, uuid.to_python(subject_id), purpose, record, record_id)
            for pk, subject_id, purpose, record, record_id in cursor.fetchall()
        ]


def _lock(now: dt.datetime, size: int) -> list[Claimed]:
    """PostgreSQL: a fresh batch of due rows, locked in the batch's own transaction (FOR UPDATE
    SKIP LOCKED) instead of marked by an UPDATE of its own: another worker passes them while
    they are locked, and they are done when it commits, or free again if the process dies. Each
    row is then written once (done), not twice (claimed, done)."""
    table = RetentionItem._meta.db_table
    # Uses retention_item_due_idx (done_at IS NULL, due_at order).
    sql = (
        f"SELECT {', '.join(_CLAIMED)} FROM {table} WHERE done_at IS NULL "  # noqa: S608
        "AND due_at <= %s AND claimed_by_id IS NULL ORDER BY due_at LIMIT %s "
        "FOR UPDATE SKIP LOCKED"
    )
    with connection.cursor() as cursor:
        # Every statement of a batch reaches its rows by key: ten thousand ids among millions.
        # The planner's estimate for such a list chose to hash whole tables (a scan of the
        # schedule and of the subjects per batch: 1 s per batch at a million rows, measured).
        cursor.execute("SET LOCAL enable_seqscan = off")  # this transaction only
        cursor.execute(sql, [now, size])
        return [Claimed(*row) for row in cursor.fetchall()]


def _take(run: SweepRun, now: dt.datetime, size: int) -> tuple[list[Claimed], Scope]:
    """The next batch and its schedule rows as a query: this run's unfinished claims (after a
    takeover), else on PostgreSQL rows locked in the caller's transaction, else (SQLite, one
    writer at a time) rows claimed by a conditional UPDATE committed on its own."""
    mine = RetentionItem.objects.filter(claimed_by=run, done_at__isnull=True)
    if connection.vendor == "postgresql" and not mine.exists():
        items = _lock(now, size)
        return items, RetentionItem.objects.filter(id__in=[i.id for i in items])
    items = _claim(run, now, size)
    # The scope is exactly the rows handed back, never all of the run's open claims: a run taken
    # over with a smaller batch holds more claims than one batch, and each subject removed must
    # have its keep, its audit entry and its ledger record.
    return items, RetentionItem.objects.filter(id__in=[i.id for i in items])


Scope = QuerySet[RetentionItem, Any]


def _claimed(scope: Scope) -> QuerySet[RetentionItem, Any]:
    """The subjects of the batch's rows on subjects (not on records), as a subquery."""
    return scope.filter(record_id__isnull=True).values("subject_id")


def _keeps(scope: Scope, items: list[Claimed], now: dt.datetime) -> dict[UUID, Keep]:
    """Per subject of the batch: what the purposes whose period still runs keep."""
    rules = schedule_rules(policy_current().policy)
    subjects = {i.subject_id for i in items}
    holding: dict[UUID, list[str]] = defaultdict(list)
    ends: dict[UUID, dt.datetime] = {}
    still = RetentionItem.objects.filter(
        subject_id__in=_claimed(scope), done_at__isnull=True, record_id__isnull=True
    )
    still = still.filter(Q(due_at__isnull=True) | Q(due_at__gt=now))
    for subject_id, purpose, due in still.values_list("subject_id", "purpose", "due_at"):
        if purpose in rules:
            holding[subject_id].append(purpose)
            if rules[purpose].hold and due is not None:
                ends[subject_id] = max(due, ends.get(subject_id, due))
    keeps = {}
    for subject_id in subjects:
        held = [rules[p] for p in holding[subject_id]]
        categories = frozenset(c for r in held for c in r.categories)
        until = ends.get(subject_id)
        keeps[subject_id] = Keep(
            categories,
            bool(held) and all(r.hold for r in held),
            timezone.localtime(until).date() if until else None,
        )
    return keeps


def _records(run: SweepRun, actor: Actor, items: list[Claimed], now: dt.datetime) -> None:
    """Delete the records of the batch (each with what belongs to it, as its model says), one
    audit entry each, and mark their rows done: in the batch's transaction."""
    models = {model._meta.label_lower: model for model, *_ in record_models()}
    by_label: dict[str, list[Claimed]] = defaultdict(list)
    for item in items:
        by_label[item.record].append(item)
    entries = []
    for label, mine in by_label.items():
        model = models.get(label)
        ids = [i.record_id for i in mine if i.record_id is not None]
        gone = {}
        if model is not None:
            note = f"{model._meta.verbose_name} removed after its retention period (deletion "
            gone = model.retention_remove(ids, note=f"{note}certificate {run.id})")
        for item in mine:
            rows = gone.get(item.record_id)
            item.outcome, item.fields = ("deleted", sorted(rows)) if rows else ("absent", [])
            if rows:
                entries.append(
                    audit_entry(
                        actor=actor,
                        action=RECORD_DELETE,
                        subject_id=item.subject_id,
                        purpose=item.purpose,
                        detail={"record": label, "id": str(item.record_id), "sweep": str(run.id)},
                    )
                )
    audit_record_many(entries)
    groups: dict[tuple[str, tuple[str, ...]], list[int]] = defaultdict(list)
    for item in items:
        groups[(item.outcome, tuple(item.fields))].append(item.id)
    for (outcome, rows), ids in groups.items():
        RetentionItem.objects.filter(id__in=ids).update(
            done_at=now, run=run, outcome=outcome, fields=list(rows), claimed_by=run, claimed_at=now
        )


def _batch(
    run: SweepRun, actor: Actor, items: list[Claimed], scope: Scope, now: dt.datetime
) -> None:
    records = [i for i in items if i.record_id is not None]
    items = [i for i in items if i.record_id is None]
    with transaction.atomic():
        if records:
            _records(run, actor, records, now)
        if items:
            _subjects(run, actor, items, scope, now)
        SweepRun.objects.filter(id=run.id).update(alive_at=timezone.now())


def _subjects(
    run: SweepRun, actor: Actor, items: list[Claimed], scope: Scope, now: dt.datetime
) -> None:
    rules = schedule_rules(policy_current().policy)
    fields = policy_current().policy.fields
    done = subjects_retire(
        actor=actor,
        keeps=_keeps(scope, items, now),
        among=_claimed(scope),
        reason="retention period ended",
        detail={"sweep": str(run.id)},
        now=now,
    )
    groups: dict[tuple[str, tuple[str, ...]], list[int]] = defaultdict(list)
    for item in items:
        retired = done[item.subject_id]
        cats = rules[item.purpose].categories if item.purpose in rules else ()
        mine = tuple(f for f in retired.fields if f in fields and covered(cats, fields[f].category))
        groups[(retired.outcome, mine)].append(item.id)
    mine_open = scope.filter(done_at__isnull=True)
    for (outcome, mine), ids in groups.items():
        rows = mine_open if len(groups) == 1 else mine_open.filter(id__in=ids)
        rows.update(
            done_at=now, run=run, outcome=outcome, fields=list(mine), claimed_by=run, claimed_at=now
        )


def retention_sweep(
    *,
    actor: Actor,
    batch: int = BATCH,
    progress: Progress | None = None,
    limit: int | None = None,
    seal_behind: bool = False,
) -> SweepRun | None:
    """Remove everything due now, batch by batch, and sign the run's deletion certificate;
    None when nothing was due (no certificate for an empty run). ``limit`` stops after that
    many rows without certifying (the next sweep resumes the run). ``seal_behind`` (the
    command, on PostgreSQL): the audit chain seals each batch's entries in a thread of its own
    while the next batch is swept, and everything is sealed before this returns."""
    with _sealing(seal_behind and connection.vendor == "postgresql"):
        return _sweep(actor=actor, batch=batch, progress=progress, limit=limit)


@contextmanager
def _sealing(behind: bool) -> Iterator[None]:
    if not behind or sealer_not_inline():  # a server's sealer is at work already
        yield
        return
    sealer = sealer_use_background(BackgroundSealer(interval=0))
    try:
        yield
    finally:
        sealer.stop(timeout=3600)  # lets a run in progress finish
        sealer_use_inline()
        while audit_seal():  # what the thread had not reached yet
            pass


def _sweep(
    *, actor: Actor, batch: int, progress: Progress | None, limit: int | None
) -> SweepRun | None:
    now = timezone.now()
    run = _run_take(actor, now)
    total = RetentionItem.objects.filter(done_at__isnull=True, due_at__lte=now).count()
    swept = 0
    # PostgreSQL: the batch's rows are locked in its own transaction (_take).
    whole = transaction.atomic if connection.vendor == "postgresql" else nullcontext
    while limit is None or swept < limit:
        with whole():
            items, scope = _take(run, now, batch)
            if not items:
                break
            _batch(run, actor, items, scope, now)
        swept += len(items)
        if progress:
            progress(swept, total)
    if limit is not None and swept >= limit:
        return run
    if not RetentionItem.objects.filter(run=run).exists():
        SweepRun.objects.filter(id=run.id).delete()
        return None
    return certificate_sign(run=run, actor=actor)
