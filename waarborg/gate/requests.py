"""Reading what the vault holds about a person, to carry out their own request (access,
portability: GDPR Art. 15 and 20). Only a job carrying out a request reads here: the purpose
that answers requests (CMS: ``rights``) refuses anyone else (``policy.rules.purpose_refusal``).
Every part read is audited: the values as a gate read, the history and the access log each
with an entry of their own."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.db import connection

from waarborg.audit.models import AuditEntry
from waarborg.core.actors import Actor
from waarborg.gate.decrypt import open_blob, open_note
from waarborg.gate.services import Allowed, Refused, audit_answer, gate_fields
from waarborg.policy.rules import requests_purpose
from waarborg.policy.selectors import policy_current
from waarborg.vault.envelope import note_label
from waarborg.vault.models import Acceptance, PurposeEvent, Subject
from waarborg.vault.sealed import blob_seal

# Who read, as the person is told: a staff member as "staff" (the person is owed what was done
# with their data, when and why, not which employee did it: CJEU C-579/21), a system or job by
# its name.
# (``%%``: a literal % in SQL that is given parameters.)
_WHO = "CASE WHEN actor LIKE 'staff:%%' THEN 'staff' ELSE actor END"
RECENT = 100  # entries of the access log shown one by one on the readable page


@dataclass(frozen=True)
class Holding:
    """What the vault holds about one person, ready to hand over to them."""

    kind: str
    product: str
    created_at: datetime
    restricted_at: datetime | None
    held_until: date | None
    data: dict[str, str]  # every value on file, by field, in the policy's order
    events: list[dict[str, Any]]  # consents and objections, oldest first, with their proof
    acceptances: list[dict[str, Any]]  # versions of the statement accepted
    access_log: bytes  # every entry about the person, oldest first: CSV
    access_summary: list[dict[str, Any]]  # the log grouped by who, purpose, action and decision
    access_recent: list[dict[str, Any]]  # the newest entries, newest first


def gate_request_holding(*, actor: Actor, subject_id: UUID) -> Holding | Refused:
    """Everything on file about the person, for a job answering their request."""
    purpose = requests_purpose(policy_current().policy)
    read = gate_fields(actor=actor, purpose=purpose, subject=subject_id)
    if not isinstance(read, Allowed):
        return read
    subject = Subject.objects.only(
        "id", "kind", "product", "created_at", "restricted_at", "held_until", "wrapped_dek"
    ).get(id=subject_id)
    events = _events(subject)
    audit_answer(
        actor=actor,
        action="ledger.read",
        reason="",
        subject_id=subject_id,
        purpose=purpose,
        detail={"events": len(events)},
    )
    audit_answer(
        actor=actor, action="access_log.read", reason="", subject_id=subject_id, purpose=purpose
    )
    return Holding(
        kind=subject.kind,
        product=subject.product,
        created_at=subject.created_at,
        restricted_at=subject.restricted_at,
        held_until=subject.held_until,
        data=read.fields,
        events=events,
        acceptances=_acceptances(subject_id),
        access_log=_access_log(subject_id),
        access_summary=_access_summary(subject_id),
        access_recent=_access_recent(subject_id),
    )


_NOTE_KIND: dict[str, str] = {
    PurposeEvent.Kind.OBJECTED: "objection",
    PurposeEvent.Kind.GROUNDS_RECORDED: "grounds",
}


def _events(subject: Subject) -> list[dict[str, Any]]:
    rows = PurposeEvent.objects.filter(subject_id=subject.id).order_by("at", "id")
    out = []
    for e in rows.values_list(
        "purpose", "kind", "at", "text_version", "channel", "source", "policy_digest", "note"
    ):
        purpose, kind, at, version, channel, source, digest, note = e
        if note:
            note = open_note(subject, note, label=note_label(_NOTE_KIND.get(kind, ""), purpose))
        out.append(
            {
                "purpose": purpose,
                "kind": kind,
                "at": at.isoformat(),
                "text_version": version,
                "channel": channel,
                "source": source,
                "policy_version": digest[:12],
                "note": note,
            }
        )
    return out


def _acceptances(subject_id: UUID) -> list[dict[str, Any]]:
    rows = Acceptance.objects.filter(subject_id=subject_id).order_by("accepted_at", "id")
    return [
        {"version": digest[:12], "at": at.isoformat(), "how": how}
        for digest, at, how in rows.values_list("policy_digest", "accepted_at", "how")
    ]


LOG_COLUMNS = ("at", "who", "purpose", "action", "fields", "decision", "reason")


def _access_log(subject_id: UUID) -> bytes:
    """Every audit entry about the person, oldest first, as CSV. On PostgreSQL the database
    writes it (COPY): a person with a hundred thousand entries gets them all without each
    becoming a Python object (about three times faster than building JSON in SQL)."""
    table = AuditEntry._meta.db_table
    if connection.vendor == "postgresql":
        query = (
            f"COPY (SELECT at, {_WHO} AS who, purpose, action, "  # noqa: S608
            f"fields, decision, reason FROM {table} WHERE subject_id = %s ORDER BY id) "
            "TO STDOUT WITH (FORMAT csv, HEADER)"
        )
        with connection.cursor() as cursor:
            raw: Any = cursor.cursor  # the driver's cursor: Django's wrapper has no COPY
            with raw.copy(query, [subject_id]) as copy:
                return b"".join(bytes(chunk) for chunk in copy)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LOG_COLUMNS)
    rows = AuditEntry.objects.filter(subject_id=subject_id).order_by("id")
    for at, actor, purpose, action, fields, decision, reason in rows.values_list(
        "at", "actor", "purpose", "action", "fields", "decision", "reason"
    ).iterator(chunk_size=2000):
        who = "staff" if actor.startswith("staff:") else actor
        writer.writerow(
            [at.isoformat(), who, purpose, action, json.dumps(fields), decision, reason]
        )
    return out.getvalue().encode("utf-8")


def _access_summary(subject_id: UUID) -> list[dict[str, Any]]:
    who = _WHO
    sql = (
        f"SELECT {who} AS who, purpose, action, decision, count(*), min(at), max(at) "  # noqa: S608
        f"FROM {AuditEntry._meta.db_table} WHERE subject_id = %s "
        "GROUP BY 1, purpose, action, decision ORDER BY max(at) DESC"
    )
    param = subject_id if connection.vendor == "postgresql" else subject_id.hex
    with connection.cursor() as cursor:
        cursor.execute(sql, [param])
        rows = cursor.fetchall()
    return [
        {
            "who": w,
            "purpose": p,
            "action": a,
            "decision": d,
            "count": n,
            "first": str(first),
            "last": str(last),
        }
        for w, p, a, d, n, first, last in rows
    ]


def _access_recent(subject_id: UUID) -> list[dict[str, Any]]:
    rows = AuditEntry.objects.filter(subject_id=subject_id).order_by("-id")[:RECENT]
    return [
        {
            "at": at,
            "who": "staff" if actor.startswith("staff:") else actor,
            "purpose": purpose,
            "action": action,
            "decision": decision,
        }
        for at, actor, purpose, action, decision in rows.values_list(
            "at", "actor", "purpose", "action", "decision"
        )
    ]


def gate_request_grounds_read(*, actor: Actor, subject_id: UUID, purpose: str) -> str:
    """The compelling grounds recorded against the person's objection to ``purpose``, for the
    letter that gives them to the person (Art. 21(1)); "" when none. Audited."""
    subject = Subject.objects.filter(id=subject_id).first()
    state = subject.states.filter(purpose=purpose).first() if subject else None
    grounds = ""
    if subject is not None and state is not None and state.compelling_grounds:
        grounds = open_note(subject, state.compelling_grounds, label=note_label("grounds", purpose))
    audit_answer(
        actor=actor,
        action="rights.read",
        reason="",
        subject_id=subject_id,
        purpose=purpose,
        fields=["compelling_grounds"] if grounds else [],
    )
    return grounds


def gate_blob_seal(*, data: bytes, label: str) -> bytes:
    """Seal what a request hands over (an export, a system's answer) for storage until sent."""
    return blob_seal(data, label=label)


def gate_blob_open(*, sealed: bytes, label: str) -> bytes:
    """What ``gate_blob_seal`` sealed under ``label``; the caller audits the handing over."""
    return open_blob(sealed, label=label)
