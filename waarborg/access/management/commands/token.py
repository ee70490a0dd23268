from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from waarborg.access.selectors import systems_list
from waarborg.access.services import AccessError, token_create, token_revoke
from waarborg.core.actors import Actor
from waarborg.core.commands import SubcommandCommand, Subcommands

CLI = Actor(kind="job", name="cli")


class Command(SubcommandCommand):
    help = (
        "API tokens for product back ends. 'create --system NAME --purposes p1,p2' prints the "
        "token once (only its hash is stored); 'list' shows systems and scopes; 'revoke PREFIX' "
        "stops a token (every server process refuses it within 5 seconds)."
    )

    def add_subcommands(self, sub: Subcommands) -> None:
        create = sub.add_parser("create")
        create.add_argument("--system", required=True)
        create.add_argument("--purposes", required=True, help="comma-separated purpose keys")
        sub.add_parser("list")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("prefix", help="the first characters of the token, as 'list' shows")

    def handle_create(self, options: dict[str, Any]) -> None:
        purposes = [p.strip() for p in options["purposes"].split(",") if p.strip()]
        try:
            issued = token_create(actor=CLI, system=options["system"], purposes=purposes)
        except AccessError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(issued.token)
        self.stderr.write(
            f"token for {issued.system.name} ({', '.join(issued.system.purposes)}); "
            "it is shown only now, store it safely"
        )

    def handle_list(self, options: dict[str, Any]) -> None:
        for row in systems_list():
            state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
            self.stdout.write(f"{row.token_prefix}  {row.name}  {','.join(row.purposes)}  {state}")

    def handle_revoke(self, options: dict[str, Any]) -> None:
        count = token_revoke(actor=CLI, prefix=options["prefix"])
        if not count:
            raise CommandError(f"no active token starts with {options['prefix']!r}")
        self.stdout.write(f"revoked {count} token(s)")
