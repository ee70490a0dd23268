"""The scheduled sweep. ``retention_sweep_scheduled`` is what a background worker calls (one
sweep and its certificate; with ``loop`` again every ``loop`` seconds): ``waarborg retention
sweep --loop SECONDS`` runs it without one."""

from __future__ import annotations

import time
from collections.abc import Callable

from waarborg.core.actors import Actor
from waarborg.retention.models import SweepRun
from waarborg.retention.planning import schedule_refresh
from waarborg.retention.sweep import retention_sweep


def retention_sweep_scheduled(
    *, loop: float | None = None, out: Callable[[str], object] | None = None
) -> SweepRun | None:
    actor = Actor.job("retention-sweep")
    while True:
        schedule_refresh()
        run = retention_sweep(actor=actor, seal_behind=True)
        if out:
            out(
                f"certificate {run.id}: {run.summary.get('deletions')} rows"
                if run
                else "nothing due"
            )
        if not loop:
            return run
        time.sleep(loop)
