"""The worker's loop: run the queued tasks (django-tasks' database backend), and now and then the
housekeeping of requests: letters that did not go out, requests never confirmed, steps left
behind by a worker that died, restrictions whose notice went out, archives whose link ran out,
statutory holds that ended; and, once per ``SWEEP_EVERY``, the retention sweep with its deletion
certificate."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from waarborg.core.actors import Actor
from waarborg.gate.request_writes import gate_holds_release
from waarborg.retention.jobs import retention_sweep_scheduled
from waarborg.rights.exports import exports_expire
from waarborg.rights.letters import letters_send_pending
from waarborg.rights.services import requests_lapse
from waarborg.rights.tasks import lifts_due, steps_recover

logger = logging.getLogger("waarborg.rights")
HOLDS = Actor.job("rights_holds")
SWEEP_EVERY = 3600.0  # seconds between two retention sweeps of one worker


def _sweep() -> int:
    """One retention sweep; how many rows it removed (its certificate says which)."""
    run = retention_sweep_scheduled()
    return int(run.summary.get("deletions", 0)) if run else 0


def tasks_run(*, worker: str, limit: int = 50, backend: str = "default") -> int:
    """Run up to ``limit`` tasks that are due, one at a time; how many ran. Each is claimed in
    an exclusive transaction (a locked row on PostgreSQL, the write lock on SQLite), so two
    workers never take the same task."""
    runner = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name=backend,
        startup_delay=False,
        max_tasks=None,
        worker_id=worker,
        excluded_queue_names=[],
    )
    ran = 0
    while ran < limit:
        ready = DBTaskResult.objects.ready().filter(backend_name=backend)
        with exclusive_transaction(ready.db):
            task = ready.get_locked()
            if task is not None:
                task.claim(worker)
        if task is None:
            break
        runner.run_task(task)
        ran += 1
    return ran


@dataclass
class Housekeeping:
    """What the loop does besides tasks, with how many each did the last time."""

    done: dict[str, int] = field(default_factory=dict)
    swept_at: float | None = None  # time.monotonic() of this worker's last retention sweep

    def run(self, *, worker: str) -> dict[str, int]:
        jobs: dict[str, Callable[[], int]] = {
            "recovered": lambda: steps_recover(worker=worker),
            "lifted": lifts_due,
            "letters": letters_send_pending,
            "lapsed": requests_lapse,
            "expired": exports_expire,
            "released": lambda: gate_holds_release(actor=HOLDS),
        }
        if self.swept_at is None or time.monotonic() - self.swept_at >= SWEEP_EVERY:
            # The first round sweeps too: a worker that restarts often still sweeps.
            self.swept_at = time.monotonic()
            jobs["swept"] = _sweep
        for name, job in jobs.items():
            try:
                self.done[name] = job()
            except Exception:
                logger.exception("housekeeping %s failed; it runs again next time", name)
                self.done[name] = 0
        return self.done


def worker_start(*, worker: str) -> int:
    """When a worker starts: take back the steps it held when it died (same ``--id``)."""
    return steps_recover(worker=worker, now_release=True)
