"""What a backup's manifest says about the database it was made of."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Min, QuerySet

from waarborg.audit.models import AuditEntry, AuditSeal
from waarborg.policy.selectors import policy_current


def backup_facts() -> dict[str, Any]:
    """The policy version in force and the newest link of the audit chain (its position and
    hash; a restored database must hold that link) and the newest entry, sealed or not."""
    head = AuditSeal.objects.order_by("-position").values_list("position", "hash").first()
    newest = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    return {
        "policy_version": policy_current().digest,
        "audit": {
            "position": head[0] if head else 0,
            "hash": head[1] if head else None,
            "last_entry": newest,
        },
    }


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
