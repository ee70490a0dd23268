from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from waarborg.vault import keys
from waarborg.vault.rotation import keys_rotate


class Command(BaseCommand):
    help = (
        "Key-encryption keys. 'generate' prints a new random KEK (base64, 32 bytes). 'rotate "
        "--new-kek-file F' rewraps every data key under the KEK in F without touching the data; "
        "it works in batches, can be interrupted and rerun, and skips what is already rewrapped. "
        "Afterwards set WAARBORG_KEK to the new key."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("generate", help="print a new KEK")
        rotate = sub.add_parser("rotate", help="rewrap all data keys under a new KEK")
        rotate.add_argument("--new-kek-file", required=True, type=Path)
        rotate.add_argument("--batch", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "generate":
            self.stdout.write(keys.kek_generate())
            return
        try:
            new = keys.kek_parse(options["new_kek_file"].read_text(), name="the new KEK file")
        except OSError as exc:
            raise CommandError(f"cannot read {options['new_kek_file']}: {exc.strerror}") from None

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"  {done}/{total} data keys rewrapped")

        count = keys_rotate(new_kek=new, batch=options["batch"], progress=progress)
        self.stdout.write(
            f"done: {count} keys rewrapped to {keys.kek_id(new)}. Now set WAARBORG_KEK to the new "
            "key (keep the old one as WAARBORG_KEK_PREVIOUS until every server has restarted)."
        )
