"""A certificate as a file for an auditor: JSON (summary and every deletion) or CSV (one line
per deletion, the summary in comment lines above)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from waarborg.retention.certificates import certificate_deletions
from waarborg.retention.models import SweepRun

COLUMNS = ["subject", "purpose", "event", "counted_from", "due_at", "outcome", "fields", "record"]


def certificate_json(run: SweepRun) -> Iterator[str]:
    head = {"certificate": run.id, "sha256": run.digest, "audit_entry": run.audit_entry}
    yield json.dumps({**head, "summary": run.summary})[:-1] + ', "deletions": ['
    for n, deletion in enumerate(certificate_deletions(run)):
        yield ("," if n else "") + "\n" + json.dumps(deletion)
    yield "\n]}\n"


def certificate_csv(run: SweepRun) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["# certificate", run.id, "sha256", run.digest, "audit entry", run.audit_entry])
    writer.writerow(COLUMNS)
    for deletion in certificate_deletions(run):
        row = [deletion[c] for c in COLUMNS[:-2]]
        writer.writerow([*row, " ".join(deletion["fields"]), deletion.get("record", "")])
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
