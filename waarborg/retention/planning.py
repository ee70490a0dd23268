"""Keeping the schedule (``RetentionItem``) in step with the data: ``schedule_refresh`` adds a
row for every purpose that keeps something of a subject, one for every record that goes on its
own (an invoice), and moves the end of rows whose event happened; ``retention_event_record``
records an event no other table holds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from uuid import UUID

from django.db import transaction

from waarborg.policy.schema import Policy
from waarborg.policy.selectors import policy_current
from waarborg.retention.models import RetentionClock, RetentionItem
from waarborg.retention.schedule import (
    ONLY_RECORDED,
    Rule,
    applies,
    counted_from,
    due_at,
    record_models,
    record_start,
    recorded_events,
    schedule_rules,
)
from waarborg.vault.models import PurposeState, Subject

CHUNK = 2000


def retention_event_record(*, subject_id: UUID, event: str, at: dt.datetime) -> None:
    """A contract ended, a claim was settled...: periods counting from ``event`` start at
    ``at`` (a later event of the same kind moves them)."""
    RetentionClock.objects.update_or_create(subject_id=subject_id, event=event, defaults={"at": at})


def schedule_refresh() -> int:
    """Bring the schedule up to date for every subject not erased and every record that goes on
    its own (also of an erased subject); returns the rows written. Rows already done or claimed
    by a sweep are left as they are."""
    policy = policy_current().policy
    written = _refresh_records(policy)
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
    mine = RetentionItem.objects.filter(subject_id__in=ids, record_id__isnull=True)
    have = {(i.subject_id, i.purpose): i for i in mine}
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


def _refresh_records(policy) -> int:  # type: ignore[no-untyped-def]
    """One row per record of a model whose rows each go on their own (``record_models``), due
    when the record's own period ends."""
    rules = schedule_rules(policy)
    written = 0
    for model, purpose, subject, date in record_models():
        rule = rules.get(purpose)
        if rule is None:
            continue
        label = model._meta.label_lower
        last = None
        rows = model.objects.order_by("pk").values_list("pk", subject, date)
        while True:
            chunk = list((rows if last is None else rows.filter(pk__gt=last))[:CHUNK])
            if not chunk:
                break
            last = chunk[-1][0]
            written += _records_chunk(rule, label, chunk)
    return written


def _records_chunk(rule, label: str, chunk: list[tuple[int, UUID, dt.date]]) -> int:  # type: ignore[no-untyped-def]
    have = {
        i.record_id: i
        for i in RetentionItem.objects.filter(record=label, record_id__in=[r[0] for r in chunk])
    }
    new, changed = [], []
    for pk, subject_id, value in chunk:
        start = record_start(rule.event, value)
        due = due_at(rule, start)
        item = have.get(pk)
        if item is None:
            new.append(
                RetentionItem(
                    subject_id=subject_id,
                    purpose=rule.purpose,
                    record=label,
                    record_id=pk,
                    event=rule.event,
                    counted_from=start,
                    due_at=due,
                    hold=rule.hold,
                )
            )
        elif item.done_at is None and item.claimed_by_id is None and item.due_at != due:
            item.counted_from, item.due_at = start, due
            changed.append(item)
    with transaction.atomic():
        RetentionItem.objects.bulk_create(new, ignore_conflicts=True)
        RetentionItem.objects.bulk_update(changed, ["counted_from", "due_at"])
    return len(new) + len(changed)


def subject_schedule(
    *,
    policy: Policy,
    subjects: list[Subject],
    states: dict[tuple[UUID, str], PurposeState],
    recorded: dict[tuple[UUID, str], dt.datetime],
) -> Iterator[tuple[UUID, Rule, dt.datetime | None]]:
    """(subject, rule, the moment its period starts or None while held open) for every purpose
    that keeps something of each subject."""
    rules = schedule_rules(policy)
    for subject in subjects:
        for key, rule in rules.items():
            spec = policy.purposes[key]
            if not applies(spec, subject.kind, subject.product):
                continue
            event_at = recorded.get((subject.id, key))
            if rule.event == "collection":
                yield subject.id, rule, subject.created_at
            elif rule.event == "consent_withdrawn":
                state = states.get((subject.id, key))
                if state is None or state.consent == PurposeState.Consent.NONE:
                    continue
                withdrawn = state.consent == PurposeState.Consent.WITHDRAWN
                yield subject.id, rule, state.updated_at if withdrawn else None
            elif rule.event in ONLY_RECORDED:
                if event_at is not None:
                    yield subject.id, rule, counted_from(rule.event, event_at)
            else:
                yield subject.id, rule, event_at
