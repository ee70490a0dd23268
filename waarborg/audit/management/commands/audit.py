from __future__ import annotations

import sys
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db import DatabaseError, connection

from waarborg.audit.selectors import audit_verify
from waarborg.audit.services import audit_seal


class Command(BaseCommand):
    help = (
        "The tamper-evident audit log. 'verify' recomputes the SHA-256 hash chain from the first "
        "entry: exit 0 with 'N entries, chain intact', exit 1 naming the first entry that does "
        "not match, is missing or cannot be read, exit 2 when the database does not answer. "
        "'seal' gives committed entries their chain position (safe to run alongside "
        "the server; one sealer works at a time; --every N keeps it running)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check the hash chain")
        seal = sub.add_parser("seal", help="seal entries not yet in the chain")
        seal.add_argument(
            "--all", action="store_true", help="scan the whole log, not the newest part"
        )
        seal.add_argument(
            "--every", type=float, metavar="SECONDS", help="keep sealing, once per SECONDS"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "seal":
            while True:
                if not options.get("every"):
                    count = audit_seal(scan_all=bool(options.get("all")))
                    self.stdout.write(f"{count} entries sealed")
                    return
                try:
                    count = audit_seal(scan_all=bool(options.get("all")))
                    self.stdout.write(f"{count} entries sealed")
                except DatabaseError as exc:  # a loop outlives a restart of the database
                    self.stderr.write(f"sealing failed ({exc}); trying again")
                    connection.close()
                time.sleep(options["every"])
        try:
            result = audit_verify()
        except DatabaseError as exc:  # not the log's content: the database does not answer
            self.stderr.write(f"the audit log cannot be read: {' '.join(str(exc).split())}")
            sys.exit(2)
        if not result.intact:
            self.stderr.write(
                f"chain broken at {result.where}: {result.problem} "
                f"({result.checked} entries before it are intact)"
            )
            sys.exit(1)
        line = f"{result.checked} entries, chain intact"
        if result.unsealed:
            line += f"; {result.unsealed} entries not yet sealed (run 'waarborg audit seal')"
        self.stdout.write(line)
