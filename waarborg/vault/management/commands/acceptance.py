from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from waarborg.policy.selectors import policy_current
from waarborg.vault.selectors import subjects_with_outdated_acceptance


class Command(BaseCommand):
    help = (
        "Acceptance of the privacy statement (C1). '--outdated' prints how many data subjects "
        "last accepted an older version of the statement than the one in force, so they must be "
        "asked again; with '--ids' it also prints their subject ids, one per line. Subjects who "
        "never accepted any version and erased subjects are not counted."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--outdated",
            action="store_true",
            help="report the subjects whose latest acceptance is of an older version",
        )
        parser.add_argument(
            "--ids", action="store_true", help="with --outdated: also print their ids"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["outdated"]:
            raise CommandError("say what to report: 'waarborg acceptance --outdated [--ids]'.")
        digest = policy_current().digest
        outdated = subjects_with_outdated_acceptance()
        count = outdated.count()
        noun = "subject" if count == 1 else "subjects"
        self.stdout.write(
            f"{count} {noun} accepted an older version of the statement than the one in force "
            f"({digest[:12]})."
        )
        if options["ids"]:
            for subject_id in outdated.order_by("id").values_list("id", flat=True).iterator():
                self.stdout.write(str(subject_id))
