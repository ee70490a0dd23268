from __future__ import annotations

import csv
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.template.loader import render_to_string
from django.utils import translation

from waarborg.policy.documents import register_columns, register_context, register_rows
from waarborg.policy.selectors import policy_current


class Command(BaseCommand):
    help = (
        "Print the record of processing activities (Art. 30(1) GDPR) derived from the policy: "
        "CSV, one row per purpose with columns (a) to (g), or an HTML page with one section per "
        "purpose that marks the values still to be confirmed."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--format", choices=["csv", "html"], default="csv")
        parser.add_argument("--lang", choices=["nl", "en"], default="nl")

    def handle(self, *args: Any, **options: Any) -> None:
        loaded = policy_current()
        lang = options["lang"]
        if options["format"] == "csv":
            writer = csv.writer(self.stdout)
            writer.writerow(register_columns(lang))
            writer.writerows(register_rows(loaded.policy, lang))
            return
        register = register_context(loaded.policy, lang, version=loaded.digest[:12])
        with translation.override(lang):
            html = render_to_string("policy/register.html", {"lang": lang, "register": register})
        self.stdout.write(html)
