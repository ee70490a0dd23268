from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from waarborg.rights.steps import worker_id, worker_id_set
from waarborg.rights.worker import Housekeeping, tasks_run, worker_start


class Command(BaseCommand):
    help = (
        "Carry out data-subject requests in the background, in one loop: run the queued steps "
        "(django-tasks' database queue), and every --every seconds mail the letters that did "
        "not go out, close requests never confirmed, queue again the steps a dead worker left "
        "(after their 10-minute lease, or at once when started again with the same --id), "
        "lift restrictions whose notice went out, empty download archives whose link ran out "
        "and erase what a statutory hold kept once it ends; and once an hour, from its first "
        "round, the retention sweep with its deletion certificate. Any number of workers may "
        "run: a step and a letter are each claimed by one conditional UPDATE, so none is done "
        "twice; a crash (even kill -9) resumes where the rows say. SIGTERM or Ctrl+C finishes the "
        "current step and stops."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--id",
            default="",
            help="this worker's name, unique among the running workers "
            "(default: host and process id); a worker started again under its own name takes "
            "back at once the steps it held",
        )
        parser.add_argument(
            "--every", type=float, default=30.0, help="seconds between housekeeping rounds"
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds to wait when nothing is queued"
        )
        parser.add_argument("--once", action="store_true", help="one round, then stop")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["id"]:
            worker_id_set(options["id"])
        me = worker_id()
        stopping = {"now": False}

        def stop(signum: int, frame: FrameType | None) -> None:
            stopping["now"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        recovered = worker_start(worker=me)
        self.stdout.write(f"worker {me} started; {recovered} request(s) taken back", ending="\n")
        self.stdout.flush()
        house, last = Housekeeping(), 0.0
        while not stopping["now"]:
            close_old_connections()
            if time.monotonic() - last >= options["every"]:
                house.run(worker=me)
                last = time.monotonic()
            ran = tasks_run(worker=me)
            if options["once"]:
                break
            if not ran and not stopping["now"]:
                time.sleep(options["interval"])
        self.stdout.write(f"worker {me} stopped")
