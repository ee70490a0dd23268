"""The disclosure register as a table a person reads (console) or exports (CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from waarborg.billing.models import Disclosure
from waarborg.core.i18n import Lang
from waarborg.policy.selectors import policy_current

HEADER = (
    "disclosed_at",
    "recipient",
    "purpose",
    "ground",
    "categories",
    "what",
    "subject_id",
    "approved_by",
    "person_told_at",
)


def disclosure_rows(rows: Iterable[Disclosure], *, language: Lang) -> list[dict[str, Any]]:
    """Each disclosure with the policy's names for recipient, purpose and categories."""
    policy = policy_current().policy

    def name(table: Any, key: str) -> str:
        item = table.get(key)
        return str(getattr(item.name, language)) if item is not None else key

    return [
        {
            "at": d.disclosed_at,
            "recipient": name(policy.recipients, d.recipient),
            "purpose": name(policy.purposes, d.purpose),
            "ground": d.ground,
            "categories": ", ".join(name(policy.categories, c) for c in d.categories),
            "what": d.what,
            "subject_id": d.subject_id,
            "approved_by": d.approved_by,
            "told_at": d.notice_sent_at,
        }
        for d in rows
    ]


def disclosures_csv(rows: Iterable[Disclosure]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for d in rows:
        told = d.notice_sent_at.isoformat() if d.notice_sent_at else ""
        writer.writerow(
            [
                d.disclosed_at.isoformat(),
                d.recipient,
                d.purpose,
                d.ground,
                " ".join(d.categories),
                d.what,
                d.subject_id,
                d.approved_by,
                told,
            ]
        )
    return out.getvalue()
