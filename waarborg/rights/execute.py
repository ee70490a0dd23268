"""What each kind of step does. A step in this database does its work inside the transaction
that marks it done (``steps.step_locked``); a step in another system calls it first and records
the outcome after, so a crash between the two sends the same step again (the receiver
deduplicates by its id)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction

from waarborg.connectors.base import Connector, ConnectorError, Person, Retrieved
from waarborg.connectors.registry import connector_get
from waarborg.connectors.vault import STEPS
from waarborg.gate.request_writes import gate_request_lift, gate_request_object
from waarborg.gate.requests import gate_blob_open, gate_blob_seal
from waarborg.rights.models import Step
from waarborg.rights.steps import step_done, step_locked

T = TypeVar("T")
Outcome = tuple[dict[str, Any], bytes | None]


def step_execute(step: Step) -> None:
    EXECUTORS[step.action](step)


def _person(step: Step) -> Person:
    request = step.request
    assert request.subject_id is not None  # steps that reach a system have a person
    return Person(subject_id=request.subject_id, reference=request.reference, step=str(step.pk))


def _connector(step: Step) -> Connector:
    connector = connector_get(step.system)
    if connector is None:
        raise ConnectorError(f"{step.system}: not among the policy's systems", retry=False)
    return connector


def _carry(step: Step, work: Callable[[], T], finish: Callable[[T], Outcome], local: bool) -> None:
    if local:
        with transaction.atomic():
            locked = step_locked(step)
            result, payload = finish(work())
            step_done(locked, result=result, payload=payload)
        return
    result, payload = finish(work())
    with transaction.atomic():
        step_done(step_locked(step), result=result, payload=payload)


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


def _retrieve(step: Step) -> None:
    connector = _connector(step)

    def finish(got: Retrieved) -> Outcome:
        return {"rows": len(got.rows)}, payload_seal(step, got)

    _carry(step, lambda: connector.retrieve(_person(step)), finish, connector.local)


def _restrict(step: Step) -> None:
    connector = _connector(step)
    work = lambda: connector.restrict(_person(step))  # noqa: E731
    _carry(step, work, lambda _: ({"restricted": True}, None), connector.local)


def _erase(step: Step) -> None:
    connector = _connector(step)

    def finish(done: Any) -> Outcome:
        until = done.until.isoformat() if done.until else None
        result = {"erased": done.count, "kept": done.kept, "ground": done.ground}
        return {**result, "reference": done.reference, "until": until}, None

    _carry(step, lambda: connector.erase(_person(step)), finish, connector.local)


def _object(step: Step) -> None:
    subject_id = _person(step).subject_id

    def finish(done: Any) -> Outcome:
        result = {"direct_marketing": done.direct_marketing}
        return {**result, "legitimate_interest": done.legitimate_interest}, None

    _carry(step, lambda: gate_request_object(actor=STEPS, subject_id=subject_id), finish, True)


def _lift(step: Step) -> None:
    person = _person(step)
    reason = f"request {person.reference}: the person was told"

    def work() -> bool:
        return gate_request_lift(actor=STEPS, subject_id=person.subject_id, reason=reason)

    _carry(step, work, lambda lifted: ({"lifted": lifted}, None), True)


def _rectify(step: Step) -> None:
    # Waits for the privacy officer (services.request_rectify marks it done); a worker that
    # finds it running puts it back.
    with transaction.atomic():
        locked = step_locked(step)
        locked.status, locked.lease_until = Step.Status.WAITING, None
        locked.save(update_fields=["status", "lease_until"])


def _answer(step: Step) -> None:
    from waarborg.rights.answers import answer_build  # builds from the other steps' rows

    answer_build(step)


EXECUTORS: dict[str, Callable[[Step], None]] = {
    Step.Action.RETRIEVE: _retrieve,
    Step.Action.RESTRICT: _restrict,
    Step.Action.ERASE: _erase,
    Step.Action.OBJECT: _object,
    Step.Action.LIFT: _lift,
    Step.Action.RECTIFY: _rectify,
    Step.Action.ANSWER: _answer,
}
