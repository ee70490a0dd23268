from __future__ import annotations

import csv
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.template.loader import render_to_string

from waarborg.policy.documents import REGISTER_COLUMNS, register_rows
from waarborg.policy.selectors import policy_current


class Command(BaseCommand):
    help = (
        "Print the record of processing activities (Art. 30(1) GDPR) derived from the policy: "
        "one row per purpose, columns (a) to (g)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--format", choices=["csv", "html"], default="csv")
        parser.add_argument("--lang", choices=["nl", "en"], default="nl")

    def handle(self, *args: Any, **options: Any) -> None:
        loaded = policy_current()
        lang = options["lang"]
        rows = register_rows(loaded.policy, lang)
        columns = REGISTER_COLUMNS[lang]
        if options["format"] == "csv":
            writer = csv.writer(self.stdout)
            writer.writerow(columns)
            writer.writerows(rows)
            return
        html = render_to_string(
            "policy/register.html",
            {
                "lang": lang,
                "columns": columns,
                "rows": rows,
                "controller": loaded.policy.controller,
                "version": loaded.digest[:12],
            },
        )
        self.stdout.write(html)
