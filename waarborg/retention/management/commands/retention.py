from __future__ import annotations

import datetime as dt
import json
import sys
import time
from typing import Any

from django.utils import timezone

from waarborg.core.actors import Actor
from waarborg.core.commands import SubcommandCommand, Subcommands
from waarborg.retention.exports import certificate_csv, certificate_json
from waarborg.retention.jobs import retention_sweep_scheduled
from waarborg.retention.planning import schedule_refresh
from waarborg.retention.selectors import certificate_get, certificates_list, retention_plan
from waarborg.retention.sweep import BATCH, retention_sweep


def _day(value: dt.datetime | None) -> str:
    return timezone.localtime(value).date().isoformat() if value else "-"


class Command(SubcommandCommand):
    _first = True
    _last = _start = 0.0
    help = (
        "Retention as the policy says. 'plan' shows per rule what is due and why; 'sweep' "
        "removes it in batches and writes a deletion certificate signed into the audit log "
        "('--loop SECONDS' sweeps again and again); 'certificate ID' prints one as JSON or CSV."
    )

    def add_subcommands(self, sub: Subcommands) -> None:
        plan = sub.add_parser("plan", help="what is due now, per rule")
        plan.add_argument("--json", action="store_true")
        sweep = sub.add_parser("sweep", help="remove what is due and certify it")
        sweep.add_argument("--batch", type=int, default=BATCH)
        sweep.add_argument("--loop", type=float, help="sweep every SECONDS until interrupted")
        sweep.add_argument("--no-refresh", action="store_true", help="skip updating the schedule")
        cert = sub.add_parser("certificate", help="one certificate (default: list them)")
        cert.add_argument("id", type=int, nargs="?")
        cert.add_argument("--format", choices=["json", "csv"], default="json")

    def handle_plan(self, options: dict[str, Any]) -> None:
        schedule_refresh()
        lines = retention_plan(at=timezone.now())
        if options["json"]:
            rows = [
                {
                    **line.__dict__,
                    "counted_from": [_day(d) for d in line.counted_from],
                    "next_due": _day(line.next_due),
                }
                for line in lines
            ]
            self.stdout.write(json.dumps(rows, indent=2))
            return
        for line in lines:
            law = f" ({line.legal_reference})" if line.legal_reference else ""
            first, last = (_day(d) for d in line.counted_from)
            what = f" ({line.record} records, each on its own)" if line.record else ""
            self.stdout.write(f"{line.purpose}{what}: {line.rule}{law}")
            self.stdout.write(
                f"  due now: {line.due} (counted from {first} to {last}); running: "
                f"{line.running} (next due {_day(line.next_due)}); "
                f"waiting for the event: {line.open}"
            )

    def _progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        first, self._first = self._first, False
        if first or done >= total or now - self._last >= 1:
            self._last = now
            rate = done / max(now - self._start, 1e-6)
            self.stderr.write(f"  swept {done:,}/{total:,} rows ({rate:,.0f}/s)")
            self.stderr.flush()

    def handle_sweep(self, options: dict[str, Any]) -> None:
        if options["loop"]:
            retention_sweep_scheduled(loop=options["loop"], out=self.stdout.write)
            return
        if not options["no_refresh"]:
            schedule_refresh()
        self._start = self._last = time.monotonic()
        self._first = True
        run = retention_sweep(
            actor=Actor.job("retention-sweep"),
            batch=max(1, options["batch"]),
            progress=self._progress,
            seal_behind=True,
        )
        if run is None:
            self.stdout.write("nothing is due")
            return
        summary = run.summary
        self.stdout.write(
            f"certificate {run.id}: {summary['deletions']} rows, {summary['subjects']} subjects, "
            f"sha256 {run.digest[:16]}... (audit entry {run.audit_entry})"
        )

    def handle_certificate(self, options: dict[str, Any]) -> None:
        if options["id"] is None:
            for run in certificates_list():
                self.stdout.write(
                    f"{run.id}\t{run.finished_at.isoformat()}\t{run.summary.get('deletions')}"
                )
            return
        run = certificate_get(run_id=options["id"])
        if run is None:
            self.stderr.write(f"retention: no certificate {options['id']}")
            sys.exit(2)
        writer = certificate_csv if options["format"] == "csv" else certificate_json
        for chunk in writer(run):
            self.stdout.write(chunk, ending="")
