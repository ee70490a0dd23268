"""What the law makes a controller keep when a person asks for erasure (Art. 17(3)(b) GDPR):
the fields a legal-obligation purpose covers for this kind of person and product, and the day its
retention period ends. Decided from the policy alone.

Periods run from the day of erasure, or, for a period from the end of the financial year (the
books: art. 52 lid 4 AWR), from the last day of the current calendar year: the financial year is
taken to be the calendar year, and the last booking about the person is at the latest today."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from waarborg.policy.rules import purpose_covers_field
from waarborg.policy.schema import Policy, Retention


@dataclass(frozen=True)
class Hold:
    purpose: str
    fields: list[str]
    until: date
    reference: str  # the law that demands it, as the policy names it


def legal_holds(policy: Policy, *, kind: str, product: str, today: date) -> list[Hold]:
    """The holds on a person of this kind and product, in the policy's order of purposes."""
    holds = []
    for key, spec in policy.purposes.items():
        if spec.basis != "legal_obligation" or spec.data_subject_requests:
            continue  # the requests' own records are kept apart from the person's data
        if kind not in spec.subject_kinds or (
            spec.products is not None and product not in spec.products
        ):
            continue
        fields = [f for f in policy.fields if purpose_covers_field(policy, spec, f)]
        if fields:
            reference = spec.retention.legal_reference or spec.legal_reference or ""
            holds.append(Hold(key, fields, retention_end(spec.retention, today), reference))
    return holds


def retention_end(retention: Retention, today: date) -> date:
    start = date(today.year, 12, 31) if retention.starts == "end_of_financial_year" else today
    months = start.month - 1 + retention.years * 12 + retention.months
    year, month = start.year + months // 12, months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date.fromordinal(date(year, month, day).toordinal() + retention.days)
