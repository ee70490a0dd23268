"""What a privacy officer decides while a request is carried out: the correction a person asked
for (rectification), lifting a restriction (the person is told first), and compelling grounds
against an objection (the person is given them). Each is audited; each letter is recorded in the
transaction of the change it tells about."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from waarborg.connectors.registry import vault_key
from waarborg.core.actors import Actor
from waarborg.gate.request_writes import gate_request_grounds
from waarborg.gate.writes import gate_subject_update
from waarborg.policy.selectors import policy_current
from waarborg.rights import errors
from waarborg.rights.answers import rectify_recipients
from waarborg.rights.letters import letter_prepare
from waarborg.rights.models import Letter, Request, Step
from waarborg.rights.selectors import request_get
from waarborg.rights.services import _audit, _locked, _officer
from waarborg.rights.tasks import request_enqueue, step_add
from waarborg.rights.validation import text_clean


def request_rectify(*, actor: Actor, reference: str, fields: Mapping[str, object]) -> Request:
    """Apply the correction the person asked for, through the vault's validation (one bad value
    refuses all, with a message per field) and audited there; the answer then lists the
    recipients who are told of it (Art. 19)."""
    _officer(actor)
    request = request_get(reference)
    waiting = Step.objects.filter(
        action=Step.Action.RECTIFY, status=Step.Status.WAITING, system=vault_key()
    )
    if request is None:
        raise errors.not_found()
    if request.subject_id is None or not waiting.filter(request=request).exists():
        raise errors.not_waiting()
    # Its own transaction, so a refused value stays in the log; applied twice (a retry after a
    # crash before the step below) it changes nothing more.
    gate_subject_update(actor=actor, subject_id=request.subject_id, fields=fields)
    names = sorted(fields)
    told = rectify_recipients(policy_current().policy, names)
    with transaction.atomic():
        step = waiting.select_for_update().filter(request=request).first()
        if step is None:
            raise errors.not_waiting()
        step.status, step.finished_at = Step.Status.DONE, timezone.now()
        step.result = {"fields": names, "recipients": told}
        step.save(update_fields=["status", "finished_at", "result"])
        # The other systems that correct data get the corrected values next (execute.py).
        Step.objects.filter(
            request=request, action=Step.Action.RECTIFY, status=Step.Status.WAITING
        ).update(status=Step.Status.PENDING, queued_at=timezone.now())
        _audit(actor, request, "rights.rectify", fields=names, recipients=told)
        request_enqueue(request_id=request.pk)
    return request


def restriction_lift(*, actor: Actor, reference: str) -> Request:
    """Lift the restriction a request made: the person is mailed first, and the worker lifts it
    once that letter went out (Art. 18(3)). Not for data the law keeps restricted."""
    _officer(actor)
    with transaction.atomic():
        request = _locked(reference)
        restricted = request.steps.filter(action=Step.Action.RESTRICT, status=Step.Status.DONE)
        told = request.letters.filter(kind=Letter.Kind.LIFT).exists()
        if not restricted.exists() or told or request.subject_id is None:
            raise errors.not_restricted()
        letter_prepare(request=request, kind=Letter.Kind.LIFT)
        for system in restricted.order_by("position").values_list("system", flat=True):
            step_add(
                request=request,
                action=Step.Action.LIFT,
                right=Request.Kind.RESTRICTION,
                system=system,
                status=Step.Status.WAITING,
            )
        _audit(actor, request, "rights.lift")
    return request


def objection_grounds(*, actor: Actor, reference: str, purpose: str, grounds: str) -> Request:
    """Record compelling grounds that outweigh the person's objection to a legitimate-interest
    purpose (Art. 21(1)); the letter gives them to the person, with the way to the AP."""
    _officer(actor)
    grounds = text_clean(grounds, name="grounds", required=True)
    request = request_get(reference)
    if request is None:
        raise errors.not_found()
    objected = request.steps.filter(action=Step.Action.OBJECT, status=Step.Status.DONE).first()
    if objected is None or purpose not in objected.result.get("legitimate_interest", []):
        raise errors.not_waiting()
    assert request.subject_id is not None  # an objection step ran for a person
    with transaction.atomic():
        gate_request_grounds(
            actor=actor, subject_id=request.subject_id, purpose=purpose, grounds=grounds
        )
        letter_prepare(request=request, kind=f"{Letter.Kind.GROUNDS}:{purpose}")
        _audit(actor, request, "rights.grounds", purpose=purpose)
    return request
