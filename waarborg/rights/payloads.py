"""What a retrieve step handed over, kept sealed on the step's row between the step and the
archive built from it (``exports.py``), and emptied once the answer is built."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from waarborg.connectors.base import Retrieved
from waarborg.gate.requests import gate_blob_open, gate_blob_seal
from waarborg.rights.models import Step


def payload_label(step_id: int) -> str:
    return f"rights.step:{step_id}"


def payload_seal(step: Step, got: Retrieved) -> bytes:
    """What a system handed over, packed (the access log as the database wrote it) and sealed."""
    buffer = io.BytesIO()
    documents = {k: v for k, v in got.documents.items() if k != "access_log"}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as pack:
        pack.writestr("rows.json", json.dumps(got.rows, ensure_ascii=False))
        pack.writestr("documents.json", json.dumps(documents, ensure_ascii=False))
        pack.writestr("access_log.csv", got.documents.get("access_log", b""))
    return gate_blob_seal(data=buffer.getvalue(), label=payload_label(step.pk))


def payload_open(step: Step) -> tuple[list[dict[str, Any]], dict[str, Any], bytes]:
    """(rows, documents, the access log as CSV) of a retrieve step."""
    if step.payload is None:
        return [], {}, b""
    data = gate_blob_open(sealed=bytes(step.payload), label=payload_label(step.pk))
    with zipfile.ZipFile(io.BytesIO(data)) as pack:
        rows = json.loads(pack.read("rows.json"))
        documents = json.loads(pack.read("documents.json"))
        return rows, documents, pack.read("access_log.csv")
