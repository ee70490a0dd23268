from __future__ import annotations

import sys
import time
from typing import Any

from django.db import DatabaseError, connection

from waarborg.audit.selectors import audit_verify
from waarborg.audit.services import audit_seal
from waarborg.core.commands import SubcommandCommand, Subcommands


class Command(SubcommandCommand):
    help = (
        "The tamper-evident audit log. 'verify' recomputes the SHA-256 hash chain from the first "
        "entry: exit 0 with 'N entries, chain intact', exit 1 naming the first entry that does "
        "not match, is missing or cannot be read, exit 2 when the database does not answer. "
        "'seal' gives committed entries their chain position (safe to run alongside "
        "the server; one sealer works at a time; --every N keeps it running)."
    )

    def add_subcommands(self, sub: Subcommands) -> None:
        sub.add_parser("verify", help="check the hash chain")
        seal = sub.add_parser("seal", help="seal entries not yet in the chain")
        seal.add_argument(
            "--all", action="store_true", help="scan the whole log, not the newest part"
        )
        seal.add_argument(
            "--every", type=float, metavar="SECONDS", help="keep sealing, once per SECONDS"
        )

    def handle_seal(self, options: dict[str, Any]) -> None:
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

    def handle_verify(self, options: dict[str, Any]) -> None:
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
