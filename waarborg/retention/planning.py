"""Keeping the schedule (``RetentionItem``) in step with the data: ``schedule_refresh`` adds a
row for every purpose that keeps something of a subject and moves the end of rows whose event
happened; ``retention_event_record`` records an event no other table holds."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.db import transaction

from waarborg.policy.selectors import policy_current
from waarborg.retention.models import RetentionClock, RetentionItem
from waarborg.retention.schedule import due_at, recorded_events, subject_schedule
from waarborg.vault.models import PurposeState, Subject

CHUNK = 2000


def retention_event_record(*, subject_id: UUID, event: str, at: dt.datetime) -> None:
    """A contract ended, a claim was settled...: periods counting from ``event`` start at
    ``at`` (a later event of the same kind moves them)."""
    RetentionClock.objects.update_or_create(subject_id=subject_id, event=event, defaults={"at": at})


def schedule_refresh() -> int:
    """Bring the schedule up to date for every subject not erased; returns the rows written.
    Rows already done or claimed by a sweep are left as they are."""
    policy = policy_current().policy
    written = 0
    subjects = Subject.objects.filter(erased_at__isnull=True).order_by("id")
    last: UUID | None = None
    while True:
        page = subjects if last is None else subjects.filter(id__gt=last)
        chunk = list(page.only("id", "kind", "product", "created_at")[:CHUNK])
        if not chunk:
            return written
        last = chunk[-1].id
        written += _refresh_chunk(policy, chunk)


def _refresh_chunk(policy, chunk: list[Subject]) -> int:  # type: ignore[no-untyped-def]
    ids = [s.id for s in chunk]
    states = {(s.subject_id, s.purpose): s for s in PurposeState.objects.filter(subject_id__in=ids)}
    recorded = recorded_events(ids, policy)
    have = {(i.subject_id, i.purpose): i for i in RetentionItem.objects.filter(subject_id__in=ids)}
    new, changed = [], []
    for subject_id, rule, start in subject_schedule(
        policy=policy, subjects=chunk, states=states, recorded=recorded
    ):
        due = None if start is None else due_at(rule, start)
        item = have.get((subject_id, rule.purpose))
        if item is None:
            new.append(
                RetentionItem(
                    subject_id=subject_id,
                    purpose=rule.purpose,
                    event=rule.event,
                    counted_from=start,
                    due_at=due,
                    hold=rule.hold,
                )
            )
        elif item.done_at is None and item.claimed_by_id is None and item.due_at != due:
            item.counted_from, item.due_at, item.event, item.hold = (
                start,
                due,
                rule.event,
                rule.hold,
            )
            changed.append(item)
    with transaction.atomic():
        RetentionItem.objects.bulk_create(new, ignore_conflicts=True)
        RetentionItem.objects.bulk_update(changed, ["counted_from", "due_at", "event", "hold"])
    return len(new) + len(changed)
