"""The retention schedule, derived from the policy: per purpose, its period and the event it
counts from; per subject, when each purpose's period ends (``RetentionItem``).

Where an event comes from:

- ``collection``: the subject's record was made (``Subject.created_at``);
- ``consent_withdrawn``: the purpose's consent state (held while consent is given or pending);
- ``end_of_contract``, ``claim_settled``, ``last_activity``: held from collection until the event
  is recorded (``retention_event_record``, or a model's rule below);
- ``end_of_financial_year``, ``visit``: only once recorded; the financial year is the calendar
  year, and its end (1 January 00:00 in the site's time zone) is what the period counts from.

A model whose rows fall under a purpose declares it, and the schedule counts from its newest row
per subject: billing's Invoice has ``RETENTION = {"purpose": "bookkeeping", "date": "issued_on"}``
(and ``subject``, the field naming the subject, ``subject_id`` by default), so a customer's
bookkeeping hold runs 7 years from the end of the financial year of their newest invoice.

A statutory period (the rule names its law, ``retention.legal_reference``) is a legal hold: it
prevails over every shorter one for the categories it covers, and a subject only such a hold
still keeps loses every other field and is restricted (waarborg/vault/retire.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.apps import apps
from django.db.models import Max
from django.utils import timezone

from waarborg.policy.schema import Policy, Purpose, Retention

OPEN_UNTIL_RECORDED = {"end_of_contract", "claim_settled", "last_activity"}
ONLY_RECORDED = {"end_of_financial_year", "visit"}


@dataclass(frozen=True)
class Rule:
    purpose: str
    event: str
    retention: Retention
    categories: tuple[str, ...]
    hold: bool


def schedule_rules(policy: Policy) -> dict[str, Rule]:
    """One rule per purpose that may keep one person's data (aggregate-only ones keep none)."""
    return {
        key: Rule(
            key,
            spec.retention.starts,
            spec.retention,
            tuple(spec.categories),
            spec.retention.legal_reference is not None,
        )
        for key, spec in policy.purposes.items()
        if not spec.aggregate_only
    }


def _add_months(when: dt.datetime, months: int) -> dt.datetime:
    year, month = divmod(when.month - 1 + months, 12)
    year += when.year
    day = when.day
    while True:  # 31 January + 1 month: the last day of February
        try:
            return when.replace(year=year, month=month + 1, day=day)
        except ValueError:
            day -= 1


def counted_from(event: str, at: dt.datetime) -> dt.datetime:
    """The moment a period starts for an event at ``at`` (the end of its financial year)."""
    if event != "end_of_financial_year":
        return at
    local = timezone.localtime(at)
    return local.replace(
        year=local.year + 1, month=1, day=1, hour=0, minute=0, second=0, microsecond=0
    )


def due_at(rule: Rule, start: dt.datetime) -> dt.datetime:
    """When the period that started at ``start`` ends, counted in the site's calendar."""
    local = timezone.localtime(start)
    ends = _add_months(local, rule.retention.years * 12 + rule.retention.months)
    ends = timezone.make_aware(ends.replace(tzinfo=None)) + dt.timedelta(days=rule.retention.days)
    return ends


def applies(spec: Purpose, kind: str, product: str) -> bool:
    return kind in spec.subject_kinds and (spec.products is None or product in spec.products)


def declared_rules() -> Iterator[tuple[Any, str, str, str]]:
    """(model, purpose, subject field, date field) of each model that declares the purpose its
    rows fall under (``RETENTION``) and names its subject; rows without a subject of their own
    (invoice lines, payments) follow the row they belong to."""
    for model in apps.get_models():
        rule = getattr(model, "RETENTION", None)
        if not isinstance(rule, dict):
            continue
        subject, date = rule.get("subject", "subject_id"), rule.get("date", rule.get("from"))
        names = {f.name for f in model._meta.concrete_fields} | {
            f.attname for f in model._meta.concrete_fields
        }
        if subject in names and date in names:
            yield model, rule["purpose"], subject, date


def record_models() -> Iterator[tuple[Any, str, str, str]]:
    """The declared models whose rows each go when their own period ends (``"rows": True``,
    billing's Invoice), as ``declared_rules`` gives them. Such a model deletes its rows itself
    (``retention_remove(ids, note=...)``), with what belongs to them."""
    for model, purpose, subject, date in declared_rules():
        if model.RETENTION.get("rows") and hasattr(model, "retention_remove"):
            yield model, purpose, subject, date


def record_start(event: str, value: dt.date | dt.datetime) -> dt.datetime:
    """The moment a record's period starts: a date is a whole day in the site's time zone."""
    at = value
    if not isinstance(at, dt.datetime):
        at = timezone.make_aware(dt.datetime.combine(at, dt.time()))
    return counted_from(event, at)


def recorded_events(subject_ids: list[UUID], policy: Policy) -> dict[tuple[UUID, str], dt.datetime]:
    """Per (subject, purpose), the newest recorded event its period counts from."""
    from waarborg.retention.models import RetentionClock

    rules = schedule_rules(policy)
    found: dict[tuple[UUID, str], dt.datetime] = {}
    clocks = RetentionClock.objects.filter(subject_id__in=subject_ids)
    for subject_id, event, at in clocks.values_list("subject_id", "event", "at"):
        for rule in rules.values():
            if rule.event == event:
                found[(subject_id, rule.purpose)] = at
    for model, purpose, subject, date in declared_rules():
        rows = model.objects.filter(**{f"{subject}__in": subject_ids})
        for row in rows.values(subject).annotate(at=Max(date)):
            at = row["at"]
            if isinstance(at, dt.date) and not isinstance(at, dt.datetime):
                at = timezone.make_aware(dt.datetime.combine(at, dt.time()))
            found[(row[subject], purpose)] = at
    return found
