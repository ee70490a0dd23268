"""Carrying out a request as steps: planned once, when the request is confirmed (and its rights
known), each a row that a worker claims, runs and marks done (``steps.py``); a crash resumes
from the rows. The work runs as a background task on django-tasks' database backend (the queue
is a table; ``waarborg worker`` runs it). The task holds no state of its own: running it twice
or after a crash only resumes where the rows say.

- Order: the steps of a request run one after another, by ``position``: rectify, retrieve (for
  access and portability), object, restrict, erase, and last the answer. Data is handed over
  before it is erased.
- Once: a step in this database (the vault) does its work in the transaction that marks it
  done, so it is done exactly once; a step in another system (a webhook) is sent again after a
  crash with the same step id, which the receiver deduplicates by.
- Failure: a system that cannot be reached is tried again later (1 minute, 5, 25, 2 hours);
  after ATTEMPTS tries, or at once when it refuses, the step fails and the answer says so.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from waarborg.connectors.base import ConnectorError
from waarborg.connectors.registry import systems_for, vault_key
from waarborg.rights.execute import step_execute
from waarborg.rights.models import Letter, Request, Step
from waarborg.rights.steps import LEASE, Lost, step_claim_next, worker_id

logger = logging.getLogger("waarborg.rights")

ATTEMPTS = 5
PAUSES = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=25), timedelta(hours=2))


@task()
def request_advance(request_id: int) -> None:
    steps_run(request_id=request_id)


def request_enqueue(*, request_id: int, run_after: datetime | None = None) -> None:
    """Queue the request's steps to be carried out (in the caller's transaction: the task row
    commits with the change that asked for it, or not at all)."""
    runner = request_advance if run_after is None else request_advance.using(run_after=run_after)
    runner.enqueue(request_id)


def steps_plan(*, request: Request) -> list[Step]:
    """The request's steps, in the caller's transaction (confirmation or classification), and
    the task that runs them. Once: a request that has steps gets none again; an unclear one
    waits for a privacy officer to say which rights it asks for."""
    K = Request.Kind
    kinds = set(request.kinds)
    if K.UNCLEAR in kinds or request.steps.exists():
        return []
    plan: list[tuple[str, str, str]] = []
    if request.subject_id is not None:
        if K.RECTIFICATION in kinds:  # the vault first: the officer's correction is made there
            plan.append((K.RECTIFICATION, Step.Action.RECTIFY, vault_key()))
            others = [s for s in systems_for("rectify") if s != vault_key()]
            plan += [(K.RECTIFICATION, Step.Action.RECTIFY, s) for s in others]
        if K.ACCESS in kinds or K.PORTABILITY in kinds:
            right = K.ACCESS if K.ACCESS in kinds else K.PORTABILITY
            plan += [(right, Step.Action.RETRIEVE, s) for s in systems_for("retrieve")]
        if K.OBJECTION in kinds:
            plan.append((K.OBJECTION, Step.Action.OBJECT, vault_key()))
        if K.RESTRICTION in kinds:
            plan += [(K.RESTRICTION, Step.Action.RESTRICT, s) for s in systems_for("restrict")]
        if K.ERASURE in kinds:
            plan += [(K.ERASURE, Step.Action.ERASE, s) for s in systems_for("erase")]
    plan.append(("", Step.Action.ANSWER, ""))
    now = timezone.now()
    steps = Step.objects.bulk_create(
        Step(
            request=request,
            position=i,
            right=right,
            action=action,
            system=system,
            queued_at=now,
            status=Step.Status.WAITING if action == Step.Action.RECTIFY else Step.Status.PENDING,
        )
        for i, (right, action, system) in enumerate(plan, start=1)
    )
    request_enqueue(request_id=request.pk)
    return steps


def step_add(
    *, request: Request, action: str, right: str, system: str = "", status: str = "pending"
) -> Step:
    """A step after the others (lifting a restriction), queued in the caller's transaction."""
    last = request.steps.order_by("-position").values_list("position", flat=True).first() or 0
    step = Step.objects.create(
        request=request,
        position=last + 1,
        right=right,
        action=action,
        system=system,
        status=status,
        queued_at=timezone.now(),
    )
    request_enqueue(request_id=request.pk)
    return step


def lifts_due() -> int:
    """Start lifting the restrictions whose notice went out (the letter is sent): the person
    is told before it is lifted (in every system that restricted). For the worker; how many
    requests."""
    told = Letter.objects.filter(kind=Letter.Kind.LIFT, sent_at__isnull=False).values("request")
    ready = Step.objects.filter(
        action=Step.Action.LIFT, status=Step.Status.WAITING, request__in=told
    )
    ids = sorted(set(ready.values_list("request_id", flat=True)))
    with transaction.atomic():
        ready.filter(request_id__in=ids).update(
            status=Step.Status.PENDING, queued_at=timezone.now()
        )
        for request_id in ids:
            request_enqueue(request_id=request_id)
    return len(ids)


def steps_run(*, request_id: int, worker: str | None = None) -> int:
    """Run the request's steps in order until one waits; how many ran. The task's body."""
    worker = worker or worker_id()
    ran = 0
    while (step := step_claim_next(request_id=request_id, worker=worker)) is not None:
        ran += 1
        try:
            step_execute(step)
        except Lost:
            logger.warning("step %s was taken over by another worker", step.pk)
            return ran
        except Exception as exc:
            retry = exc.retry if isinstance(exc, ConnectorError) else True
            if not isinstance(exc, ConnectorError):
                logger.exception("step %s failed", step.pk)
            if not _step_failed(step, str(exc)[:200] or type(exc).__name__, retry=retry):
                return ran
    return ran


def _step_failed(step: Step, error: str, *, retry: bool) -> bool:
    """Record a failure: again later (False: the request waits), or for good (True: the
    request goes on, and its answer names what could not be done)."""
    now = timezone.now()
    mine = Step.objects.filter(id=step.pk, status=Step.Status.RUNNING, claimed_by=step.claimed_by)
    with transaction.atomic():
        if retry and step.attempts < ATTEMPTS:
            later = now + PAUSES[min(step.attempts, len(PAUSES)) - 1]
            changed = mine.update(
                status=Step.Status.PENDING,
                error=error,
                not_before=later,
                claimed_by="",
                lease_until=None,
                queued_at=now,
            )
            if changed:
                request_enqueue(request_id=step.request_id, run_after=later)
            return False
        mine.update(status=Step.Status.FAILED, error=error, finished_at=now, lease_until=None)
    return True


def steps_recover(*, worker: str | None = None, now_release: bool = False) -> int:
    """Queue again the requests whose steps were left behind: a step running under a lease
    that ran out (its worker died), one this worker held before it started again
    (``now_release``), and a pending step whose task was queued long ago and never ran. For
    the worker's loop; how many requests were queued."""
    now = timezone.now()
    stale = Q(status=Step.Status.RUNNING, lease_until__lt=now)
    if now_release and worker:
        stale |= Q(status=Step.Status.RUNNING, claimed_by=worker)
    lost = Q(status=Step.Status.PENDING, queued_at__lt=now - LEASE) & (
        Q(not_before__isnull=True) | Q(not_before__lt=now - LEASE)
    )
    with transaction.atomic():
        rows = Step.objects.select_for_update().filter(stale | lost)
        ids = sorted(set(rows.values_list("request_id", flat=True)))
        Step.objects.filter(stale).update(
            status=Step.Status.PENDING, claimed_by="", lease_until=None
        )
        Step.objects.filter(request_id__in=ids, status=Step.Status.PENDING).update(queued_at=now)
        for request_id in ids:
            request_enqueue(request_id=request_id)
    return len(ids)
