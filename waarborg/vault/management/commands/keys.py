from __future__ import annotations

import argparse
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError

from waarborg.core.commands import SubcommandCommand, Subcommands
from waarborg.vault import keys
from waarborg.vault.rotation import RotationError, keys_pending, keys_rotate, keys_unknown

STEPS = (
    "(1) set WAARBORG_KEK to the new key and WAARBORG_KEK_PREVIOUS to the old one and restart "
    "every server; (2) run 'waarborg keys rotate'; (3) remove WAARBORG_KEK_PREVIOUS and restart."
)


class Command(SubcommandCommand):
    help = (
        "Key-encryption keys. 'generate' prints a new random KEK (base64, 32 bytes). 'rotate' "
        "rewraps every data key and vault key that is not under the current KEK (WAARBORG_KEK), "
        "reading it with WAARBORG_KEK_PREVIOUS; the encrypted values are not touched. It works in "
        "batches, shows progress, can be interrupted and rerun (a rerun after a complete run "
        "rewraps 0). 'status' shows the configured keys and what is left to rewrap. Rotating: "
        + STEPS
    )

    def add_subcommands(self, sub: Subcommands) -> None:
        sub.add_parser("generate", help="print a new KEK")
        rotate = sub.add_parser(
            "rotate", help="rewrap every key not under WAARBORG_KEK (after restarting with it)"
        )
        rotate.add_argument("--batch", type=int, default=1000, help="subjects per transaction")
        # The old flow (rewrap under a key the servers do not have yet); refused with directions.
        rotate.add_argument("--new-kek-file", help=argparse.SUPPRESS)
        sub.add_parser("status", help="the configured keys and how many keys are left to rewrap")

    def handle(self, *args: Any, **options: Any) -> None:
        # A key that is missing or not configured is told in one line, not as a traceback.
        try:
            super().handle(*args, **options)
        except (ImproperlyConfigured, RotationError) as exc:
            raise CommandError(str(exc)) from None

    def handle_generate(self, options: dict[str, Any]) -> None:
        self.stdout.write(keys.kek_generate())

    def handle_status(self, options: dict[str, Any]) -> None:
        ring = keys.keyring()
        previous = sorted(set(ring.by_id) - {ring.current_id})
        self.stdout.write(f"current KEK: {ring.current_id}")
        self.stdout.write(f"previous KEK: {', '.join(previous) if previous else 'none'}")
        self.stdout.write(f"keys not under the current KEK: {keys_pending(ring=ring)}")
        for key_id, count in sorted(keys_unknown(ring).items()):
            self.stdout.write(f"wrapped by a key that is not configured: {key_id} ({count})")

    def handle_rotate(self, options: dict[str, Any]) -> None:
        ring = keys.keyring()
        if options.get("new_kek_file"):
            raise CommandError(
                "--new-kek-file is no longer used: servers must know a key before data is "
                "wrapped by it. Rotate like this: " + STEPS
            )
        if options["batch"] < 1:
            raise CommandError(f"--batch must be at least 1, not {options['batch']}.")
        state = {"done": 0, "total": 0}

        def progress(done: int, total: int) -> None:
            state.update(done=done, total=total)
            self.stdout.write(f"  {done}/{total} keys rewrapped")

        try:
            count = keys_rotate(batch=options["batch"], progress=progress)
        except KeyboardInterrupt:
            raise CommandError(
                f"interrupted after {state['done']} of {state['total']} keys; what was rewrapped "
                "is kept. Run 'waarborg keys rotate' again to carry on."
            ) from None
        self.stdout.write(f"done: {count} keys rewrapped to {ring.current_id}.")
        if len(ring.by_id) > 1:
            self.stdout.write(
                "Run 'waarborg keys rotate' once more after every server runs with the new "
                "WAARBORG_KEK; when it rewraps 0, remove WAARBORG_KEK_PREVIOUS and restart."
            )
