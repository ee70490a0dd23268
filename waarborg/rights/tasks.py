"""The background task that carries out a request's steps, on django-tasks' database backend
(the queue is a table; ``waarborg worker`` runs it). The task holds no state of its own: the
steps are rows, so running it twice or after a crash only resumes where the rows say."""

from __future__ import annotations

from datetime import datetime

from django_tasks import task


@task()
def request_advance(request_id: int) -> None:
    from waarborg.rights import steps  # the steps enqueue this task: imported when it runs

    steps.request_advance(request_id=request_id)


def request_enqueue(*, request_id: int, run_after: datetime | None = None) -> None:
    """Queue the request's steps to be carried out (in the caller's transaction: the task row
    commits with the change that asked for it, or not at all)."""
    runner = request_advance if run_after is None else request_advance.using(run_after=run_after)
    runner.enqueue(request_id)
