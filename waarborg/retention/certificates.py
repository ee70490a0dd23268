"""Deletion certificates: what one sweep removed, per rule, signed into the audit log.

The certificate is computed from the schedule rows the run marked done, so it names every
deletion of the run, also of batches done before a crash and the takeover. Its SHA-256 digest
over the canonical JSON of the summary and of every deletion is written into an audit entry
(``retention.certificate``), whose place in the hash chain seals it: changing a row of the
schedule afterwards no longer matches the digest (``certificate_verify``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from waarborg.core.actors import Actor
from waarborg.gate.records import gate_event_numbered, gate_logged
from waarborg.policy.selectors import policy_current
from waarborg.retention.models import RetentionItem, SweepRun

SIGNED = "retention.certificate"


def certificate_deletions(run: SweepRun) -> Iterator[dict[str, Any]]:
    """Every row the run settled: subject, rule, outcome, fields, from when it counted (read as
    tuples: a model instance per row cost more than the rest of signing a million)."""
    rows = RetentionItem.objects.filter(run=run).order_by("id").values_list(
        "subject_id", "purpose", "event", "counted_from", "due_at", "outcome", "fields", "record",
        "record_id",
    )  # fmt: skip
    for subject, purpose, event, start, due, outcome, fields, record, record_id in rows.iterator(
        chunk_size=5000
    ):
        deletion = {
            "subject": str(subject),
            "purpose": purpose,
            "event": event,
            "counted_from": start.isoformat() if start else None,
            "due_at": due.isoformat() if due else None,
            "outcome": outcome,
            "fields": list(fields),
        }
        if record:  # a record deleted on its own: "fields" lists its rows by table
            deletion["record"] = f"{record}:{record_id}"
        yield deletion


def _rules(run: SweepRun) -> list[dict[str, Any]]:
    policy = policy_current().policy
    items = RetentionItem.objects.filter(run=run)
    per = items.values("purpose", "event", "record").annotate(
        subjects=Count("subject_id", distinct=True),
        first=Min("counted_from"),
        last=Max("counted_from"),
        due_first=Min("due_at"),
        due_last=Max("due_at"),
        records=Count("record_id"),
    )
    fields: dict[tuple[str, str], Counter[str]] = {}
    erased: Counter[tuple[str, str]] = Counter()
    # Rows alike counted by the database: a run of a million rows has a handful of kinds.
    kinds = items.values_list("purpose", "record", "outcome", "fields").annotate(n=Count("id"))
    for purpose, record, outcome, names, n in kinds.order_by():
        counter = fields.setdefault((purpose, record), Counter())
        for name in names:
            counter[name] += n
        erased[(purpose, record)] += n if outcome == "erased" else 0
    found = []
    for row in per.order_by("purpose", "record"):
        key = (row["purpose"], row["record"])
        spec = policy.purposes.get(row["purpose"])
        retention = spec.retention if spec else None
        rule = {
            "purpose": row["purpose"],
            "event": row["event"],
            "period": {
                "years": retention.years,
                "months": retention.months,
                "days": retention.days,
            }
            if retention
            else None,
            "legal_reference": retention.legal_reference if retention else None,
            "subjects": row["subjects"],
            "subjects_erased": erased[key],
            "fields": dict(sorted(fields.get(key, Counter()).items())),
            "counted_from": [_iso(row["first"]), _iso(row["last"])],
            "due": [_iso(row["due_first"]), _iso(row["due_last"])],
        }
        if row["record"]:  # records deleted on their own: how many, and rows per table
            rule["record"] = row["record"]
            rule["records"] = row["records"]
        found.append(rule)
    return found


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def certificate_digest(run: SweepRun, summary: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(summary, sort_keys=True).encode())
    for deletion in certificate_deletions(run):
        digest.update(json.dumps(deletion, sort_keys=True).encode())
    return digest.hexdigest()


def certificate_sign(*, run: SweepRun, actor: Actor) -> SweepRun:
    """Finish ``run``: its certificate, its digest, and the audit entry that signs them."""
    now = timezone.now()
    summary = {
        "run": run.id,
        "started_at": run.started_at.isoformat(),
        "finished_at": now.isoformat(),
        "policy_version": policy_current().digest,
        "rules": _rules(run),
        "deletions": RetentionItem.objects.filter(run=run).count(),
        "records": RetentionItem.objects.filter(run=run, record_id__isnull=False).count(),
        "subjects": RetentionItem.objects.filter(run=run).values("subject_id").distinct().count(),
    }
    with transaction.atomic():
        run.summary, run.finished_at = summary, now
        run.digest = certificate_digest(run, summary)
        run.audit_entry = gate_event_numbered(
            actor=actor,
            action=SIGNED,
            detail={
                "certificate": str(run.id),
                "sha256": run.digest,
                "deletions": str(summary["deletions"]),
            },
        )
        run.save(update_fields=["summary", "finished_at", "digest", "audit_entry"])
    return run


def certificate_verify(run: SweepRun) -> bool:
    """Whether the certificate still matches its deletions and the digest the audit log holds."""
    if run.audit_entry is None:
        return False
    logged = gate_logged(run.audit_entry, SIGNED)
    digest = certificate_digest(run, run.summary)
    return logged is not None and logged.get("sha256") == digest == run.digest
