"""What each kind of step does. A step in this database does its work inside the transaction
that marks it done (``steps.step_locked``); a step in another system calls it first and records
the outcome after, so a crash between the two sends the same step again (the receiver
deduplicates by its id). The last step, the answer, builds the archive from what the retrieve
steps handed over, closes the request and records the letter (what it says: ``answers.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from waarborg.connectors.base import Connector, ConnectorError, Person, Retrieved
from waarborg.connectors.registry import connector_get, vault_key
from waarborg.connectors.vault import STEPS
from waarborg.gate.records import gate_event
from waarborg.gate.request_writes import gate_request_object
from waarborg.gate.requesters import RIGHTS
from waarborg.gate.services import Allowed, gate_fields
from waarborg.policy.rules import requests_purpose
from waarborg.policy.selectors import policy_current
from waarborg.rights.answers import answer_partial
from waarborg.rights.exports import export_archive, export_store
from waarborg.rights.letters import letter_prepare
from waarborg.rights.models import Export, Letter, Request, Step
from waarborg.rights.payloads import payload_seal
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


def _retrieve(step: Step) -> None:
    connector = _connector(step)

    def finish(got: Retrieved) -> Outcome:
        return {"rows": len(got.rows)}, payload_seal(step, got)

    _carry(step, lambda: connector.retrieve(_person(step)), finish, connector.local)


def _restrict(step: Step) -> None:
    connector = _connector(step)
    work = lambda: connector.restrict(_person(step))  # noqa: E731
    _carry(step, work, lambda _: ({"restricted": True}, None), connector.local)


def _forget_gathered(step: Step) -> None:
    """What other requests of the person gathered (a retrieve step's copy, an archive not yet
    downloaded) goes with the erasure: it is sealed under a shared key, not the person's own."""
    others = Step.objects.filter(request__subject_id=step.request.subject_id).exclude(
        request=step.request
    )
    others.exclude(payload=None).update(payload=None)
    Export.objects.filter(request__subject_id=step.request.subject_id).exclude(
        request=step.request
    ).update(archive=None)


def _erase(step: Step) -> None:
    connector = _connector(step)

    def finish(done: Any) -> Outcome:
        if step.request.subject_id is not None:
            _forget_gathered(step)
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
    connector = _connector(step)
    work = lambda: connector.lift(_person(step))  # noqa: E731
    _carry(step, work, lambda lifted: ({"lifted": lifted}, None), connector.local)


def _rectify(step: Step) -> None:
    """The vault's step waits for the privacy officer (``decisions.request_rectify`` corrects
    the vault and marks it done). Another system's step then sends it the corrected values, read
    from the vault through the gate when it runs; before that, a worker that finds either
    running puts it back."""
    corrected = _corrected(step)
    if step.system == vault_key() or corrected is None:
        with transaction.atomic():
            locked = step_locked(step)
            locked.status, locked.lease_until = Step.Status.WAITING, None
            locked.save(update_fields=["status", "lease_until"])
        return
    connector = _connector(step)
    person = _person(step)

    def work() -> dict[str, str]:
        policy = policy_current().policy
        read = gate_fields(actor=STEPS, purpose=requests_purpose(policy), subject=person.subject_id)
        if not isinstance(read, Allowed):
            raise ConnectorError(f"vault refused the corrected values: {read.reason}", retry=False)
        values = {f: read.fields[f] for f in corrected if f in read.fields}
        connector.rectify(person, values)
        return values

    _carry(step, work, lambda values: ({"fields": sorted(values)}, None), connector.local)


def _corrected(step: Step) -> list[str] | None:
    """The fields the privacy officer corrected in the vault for this request; None until then."""
    done = Step.objects.filter(
        request_id=step.request_id,
        action=Step.Action.RECTIFY,
        system=vault_key(),
        status=Step.Status.DONE,
    ).first()
    return list(done.result.get("fields", [])) if done else None


OPEN_ONLY = (Request.Status.OPEN,)


def _answer(step: Step) -> None:
    """Build the export (access, portability), close the request and record its letter."""
    request = step.request
    others = list(request.steps.exclude(pk=step.pk).order_by("position"))
    retrieves = [s for s in others if s.action == Step.Action.RETRIEVE]
    archive = export_archive(request, retrieves) if retrieves else None
    partial = answer_partial(others)
    with transaction.atomic():
        locked = step_locked(step)
        current = Request.objects.select_for_update().get(pk=request.pk)
        answered = current.status in OPEN_ONLY
        if answered:
            if archive is not None:
                export_store(current, archive)
            current.status, current.closed_at = Request.Status.DONE, timezone.now()
            current.save(update_fields=["status", "closed_at"])
            gate_event(
                actor=STEPS,
                action="rights.answer",
                subject_id=current.subject_id,
                purpose=RIGHTS,
                detail={"request": current.reference, "partial": partial},
            )
            letter_prepare(request=current, kind=Letter.Kind.ANSWER)
        Step.objects.filter(request=request, action=Step.Action.RETRIEVE).update(payload=None)
        result = {"partial": partial, "export": archive is not None, "answered": answered}
        step_done(locked, result=result)


EXECUTORS: dict[str, Callable[[Step], None]] = {
    Step.Action.RETRIEVE: _retrieve,
    Step.Action.RESTRICT: _restrict,
    Step.Action.ERASE: _erase,
    Step.Action.OBJECT: _object,
    Step.Action.LIFT: _lift,
    Step.Action.RECTIFY: _rectify,
    Step.Action.ANSWER: _answer,
}
