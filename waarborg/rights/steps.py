"""The rows of a request's steps, as a worker holds them: claimed by one conditional UPDATE
(pending, or running under a lease that ran out, or running under this worker's own id: the
same worker started again after it died), so two workers never run the same step; locked in the
transaction that does a step's work, so that work commits only while the claim holds; and
marked done in that transaction. Planning, queuing and running them is ``tasks.py``; what each
step does is ``execute.py``."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from datetime import timedelta

from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from waarborg.rights.models import Request, Step

LEASE = timedelta(minutes=10)  # a claim older than this is taken to have died
UNFINISHED = (Step.Status.PENDING, Step.Status.RUNNING, Step.Status.WAITING)
_worker = {"id": f"{socket.gethostname()}:{os.getpid()}"}


def worker_id() -> str:
    """Who claims steps in this process (``waarborg worker --id`` sets it)."""
    return _worker["id"]


def worker_id_set(value: str) -> None:
    _worker["id"] = value[:64]


def step_claim_next(*, request_id: int, worker: str) -> Step | None:
    """The request's next step, claimed for ``worker``; None when it is finished, waits for a
    person or a pause, or another worker holds it."""
    now = timezone.now()
    step = (
        Step.objects.filter(request_id=request_id, status__in=UNFINISHED)
        .select_related("request")
        .order_by("position")
        .first()
    )
    if step is None or step.status == Step.Status.WAITING:
        return None
    if step.request.status in (Request.Status.REFUSED, Request.Status.LAPSED):
        # Refused while being carried out: nothing more is done (the refusal letter answers).
        Step.objects.filter(request_id=request_id, status__in=UNFINISHED).update(
            status=Step.Status.FAILED, error="request closed", finished_at=now, lease_until=None
        )
        return None
    if step.status == Step.Status.PENDING and step.not_before and step.not_before > now:
        return None
    held = step.lease_until is not None and step.lease_until > now
    if step.status == Step.Status.RUNNING and held and step.claimed_by != worker:
        return None
    claimed = Step.objects.filter(
        id=step.pk, status=step.status, claimed_by=step.claimed_by, attempts=step.attempts
    ).update(
        status=Step.Status.RUNNING,
        claimed_by=worker,
        lease_until=now + LEASE,
        attempts=F("attempts") + 1,
        started_at=Coalesce(F("started_at"), now),
    )
    if claimed != 1:
        return None
    step.refresh_from_db()
    return step


def step_locked(step: Step) -> Step:
    """The step's row, locked, still claimed by this worker: inside the transaction that does
    its work, so that work commits only while the claim holds. Raises Lost otherwise."""
    row = Step.objects.select_for_update().filter(id=step.pk).first()
    if row is None or row.status != Step.Status.RUNNING or row.claimed_by != step.claimed_by:
        raise Lost(step.pk)
    return row


class Lost(Exception):
    """Another worker took the step over (this one held it past its lease)."""


def step_done(step: Step, *, result: Mapping[str, object], payload: bytes | None = None) -> None:
    """Mark the (locked) step done, in the caller's transaction."""
    step.status, step.finished_at = Step.Status.DONE, timezone.now()
    step.result, step.payload, step.error = dict(result), payload, ""
    step.lease_until = None
    step.save(update_fields=["status", "finished_at", "result", "payload", "error", "lease_until"])
