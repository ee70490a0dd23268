from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from waarborg.billing.notices import notices_pending, notices_send_quietly
from waarborg.billing.registers import disclosures_csv
from waarborg.billing.selectors import disclosures_export_operator
from waarborg.core.actors import Actor

CLI = Actor(kind="job", name="cli")


class Command(BaseCommand):
    help = (
        "The disclosure register as CSV (what was given to whom, on which ground, approved by "
        "whom, when, and when the person was told), for the privacy officer or an auditor. "
        "`notify` sends the letters about disclosures that were not sent yet."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", nargs="?", choices=["list", "notify"], default="list")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "notify":
            pending = notices_pending()
            sent = notices_send_quietly(disclosure_ids=pending)
            self.stdout.write(f"{sent} of {len(pending)} pending letters sent")
            return
        rows = disclosures_export_operator(actor=CLI)  # audited, one entry
        self.stdout.write(disclosures_csv(rows), ending="")
