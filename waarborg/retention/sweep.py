"""``waarborg retention sweep``: remove what is due, in batches, and certify it.

**Claims.** A batch is taken with one conditional UPDATE (``_claim``): due rows nobody claimed
get this run's id, and the outer ``claimed_by IS NULL`` is checked again on the locked row, so
two workers never take the same row (PostgreSQL also skips rows another claim has locked).

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
from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from waarborg.core.actors import Actor
from waarborg.policy.checks import covered
from waarborg.policy.selectors import policy_current
from waarborg.retention.certificates import certificate_sign
from waarborg.retention.models import RetentionItem, SweepRun
from waarborg.retention.schedule import schedule_rules
from waarborg.vault.retire import Keep, subjects_retire

BATCH = 1000
LEASE = dt.timedelta(minutes=10)
Progress = Callable[[int, int], None]


def _worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _dead(run: SweepRun, now: dt.datetime) -> bool:
    host, _, pid = run.worker.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        # Still alive: only this very process's own earlier run (stopped by ``limit``) is free.
        return int(pid) == os.getpid()
    return run.alive_at < now - LEASE


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


def _claim(run: SweepRun, now: dt.datetime, size: int) -> list[RetentionItem]:
    """This run's unfinished claims (after a takeover), else a fresh batch of due rows."""
    mine = list(RetentionItem.objects.filter(claimed_by=run, done_at__isnull=True)[:size])
    if mine:
        return mine
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
        "AND claimed_by_id IS NULL RETURNING id, subject_id, purpose"
    )
    field = RetentionItem._meta.get_field("subject_id")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [run.id, now, now, size])
        return [
            RetentionItem(
                id=pk,
                subject_id=field.to_python(subject_id),
                purpose=purpose,
                claimed_by_id=run.id,
            )
            for pk, subject_id, purpose in cursor.fetchall()
        ]


def _claimed(run: SweepRun) -> QuerySet[RetentionItem, Any]:
    """The subjects of this run's open claims, as a subquery (no list of ids to send)."""
    open_claims = RetentionItem.objects.filter(claimed_by=run, done_at__isnull=True)
    return open_claims.values("subject_id")


def _keeps(run: SweepRun, items: list[RetentionItem], now: dt.datetime) -> dict[UUID, Keep]:
    """Per subject of the batch: what the purposes whose period still runs keep."""
    rules = schedule_rules(policy_current().policy)
    subjects = {i.subject_id for i in items}
    holding: dict[UUID, list[str]] = defaultdict(list)
    ends: dict[UUID, dt.datetime] = {}
    still = RetentionItem.objects.filter(subject_id__in=_claimed(run), done_at__isnull=True)
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


def _batch(run: SweepRun, actor: Actor, items: list[RetentionItem], now: dt.datetime) -> None:
    rules = schedule_rules(policy_current().policy)
    fields = policy_current().policy.fields
    with transaction.atomic():
        done = subjects_retire(
            actor=actor,
            keeps=_keeps(run, items, now),
            among=_claimed(run),
            reason="retention period ended",
            detail={"sweep": str(run.id)},
            now=now,
        )
        groups: dict[tuple[str, tuple[str, ...]], list[int]] = defaultdict(list)
        for item in items:
            retired = done[item.subject_id]
            cats = rules[item.purpose].categories if item.purpose in rules else ()
            mine = tuple(
                f for f in retired.fields if f in fields and covered(cats, fields[f].category)
            )
            groups[(retired.outcome, mine)].append(item.id)
        mine_open = RetentionItem.objects.filter(claimed_by=run, done_at__isnull=True)
        for (outcome, mine), ids in groups.items():
            rows = mine_open if len(groups) == 1 else mine_open.filter(id__in=ids)
            rows.update(done_at=now, run=run, outcome=outcome, fields=list(mine))
        SweepRun.objects.filter(id=run.id).update(alive_at=timezone.now())


def retention_sweep(
    *, actor: Actor, batch: int = BATCH, progress: Progress | None = None, limit: int | None = None
) -> SweepRun | None:
    """Remove everything due now, batch by batch, and sign the run's deletion certificate;
    None when nothing was due (no certificate for an empty run). ``limit`` stops after that
    many rows without certifying (the next sweep resumes the run)."""
    now = timezone.now()
    run = _run_take(actor, now)
    total = RetentionItem.objects.filter(done_at__isnull=True, due_at__lte=now).count()
    swept = 0
    while limit is None or swept < limit:
        items = _claim(run, now, batch)
        if not items:
            break
        _batch(run, actor, items, now)
        swept += len(items)
        if progress:
            progress(swept, total)
    if limit is not None and swept >= limit:
        return run
    if not RetentionItem.objects.filter(run=run).exists():
        SweepRun.objects.filter(id=run.id).delete()
        return None
    return certificate_sign(run=run, actor=actor)
