"""Reads for the console and the commands: the retention plan and the deletion certificates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Min, QuerySet

from waarborg.policy.selectors import policy_current


@dataclass(frozen=True)
class PlanLine:
    purpose: str
    rule: str  # the period and its event, in words
    legal_reference: str | None
    due: int  # rows whose period has ended at ``at``
    counted_from: tuple[dt.datetime | None, dt.datetime | None]  # of the due rows
    running: int  # rows whose period runs
    open: int  # rows whose event has not happened yet
    next_due: dt.datetime | None
    record: str = ""  # records that go on their own (``billing.invoice``), not subjects


def retention_plan(*, at: dt.datetime) -> list[PlanLine]:
    """What the schedule holds per rule at ``at``: due now, running, still open; after each
    rule's subjects, the records that go on their own under it (invoices)."""
    from waarborg.policy.words import retention_text
    from waarborg.retention.models import RetentionItem
    from waarborg.retention.schedule import record_models, schedule_rules

    rules = schedule_rules(policy_current().policy)
    records = [(m._meta.label_lower, purpose) for m, purpose, *_ in record_models()]
    open_rows = RetentionItem.objects.filter(done_at__isnull=True)
    kinds = [(key, "") for key in rules]
    kinds += [(purpose, label) for label, purpose in records if purpose in rules]
    lines = []
    for key, record in kinds:
        rule = rules[key]
        rows = open_rows.filter(purpose=key, record=record)
        due = rows.filter(due_at__lte=at).aggregate(
            n=Count("id"), first=Min("counted_from"), last=Max("counted_from")
        )
        running = rows.filter(due_at__gt=at).aggregate(n=Count("id"), next=Min("due_at"))
        lines.append(
            PlanLine(
                purpose=key,
                rule=retention_text(rule.retention),
                legal_reference=rule.retention.legal_reference,
                due=due["n"],
                counted_from=(due["first"], due["last"]),
                running=running["n"],
                open=rows.filter(due_at__isnull=True).count(),
                next_due=running["next"],
                record=record,
            )
        )
    return lines


def certificates_list() -> QuerySet[Any]:
    from waarborg.retention.models import SweepRun

    return SweepRun.objects.filter(finished_at__isnull=False)


def certificate_get(*, run_id: int) -> Any:
    from waarborg.retention.models import SweepRun

    return SweepRun.objects.filter(id=run_id, finished_at__isnull=False).first()
