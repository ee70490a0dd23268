from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError

from waarborg.consent.banner import banner_current
from waarborg.consent.services import VISITOR, cookie_proof_read
from waarborg.core.actors import Actor
from waarborg.core.commands import SubcommandCommand, Subcommands

CLI = Actor(kind="job", name="cli")


class Command(SubcommandCommand):
    help = (
        "The cookie banner (Telecommunicatiewet 11.7a). 'proof VISITOR' prints every choice "
        "stored for the identifier in a visitor's wb_consent cookie (the part before the first "
        "dot), oldest first, one JSON object per line, with the banner version it was made on; "
        "the look is audited. 'version' prints the version of the banner in force: it changes "
        "with the cookie catalogue of the policy or the banner's texts, and every visitor is "
        "then asked again."
    )

    def add_subcommands(self, sub: Subcommands) -> None:
        proof = sub.add_parser("proof", help="the stored choices of one visitor")
        proof.add_argument("visitor", help="the identifier from the visitor's wb_consent cookie")
        sub.add_parser("version", help="the version of the banner in force")

    def handle_proof(self, options: dict[str, Any]) -> None:
        visitor = options["visitor"].split(".")[0]
        if not VISITOR.match(visitor):
            raise CommandError(f"{visitor!r} is not a visitor identifier (32 hex digits).")
        rows = cookie_proof_read(actor=CLI, visitor=visitor)
        if not rows:
            raise CommandError(f"no choice is stored for {visitor}.")
        for row in rows:
            line = {
                "chosen_at": row.chosen_at.isoformat(),
                "method": row.method,
                "accepted": row.accepted,
                "refused": row.refused,
                "gpc": row.gpc,
                "site": row.site,
                "lang": row.lang,
                "banner_version": row.version.digest,
                "policy_version": row.policy_digest[:12],
            }
            self.stdout.write(json.dumps(line, ensure_ascii=False))

    def handle_version(self, options: dict[str, Any]) -> None:
        self.stdout.write(banner_current()[0])
