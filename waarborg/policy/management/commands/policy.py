from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from waarborg.core.commands import SubcommandCommand, Subcommands
from waarborg.policy.loader import PolicyInvalid, policy_read
from waarborg.policy.schema import Policy
from waarborg.policy.selectors import policy_current
from waarborg.policy.services import policy_roles_sync, policy_version_record


class Command(SubcommandCommand):
    help = (
        "Work with the policy file. 'check [FILE] [--strict]' validates (exit 2 with every error "
        "as FILE:LINE: path: message; values still to be confirmed are warnings in the same "
        "form, exit 0, or exit 1 with --strict); 'schema' prints its JSON Schema; 'apply' "
        "records the policy in WAARBORG_POLICY as a version (unchanged files add nothing) and "
        "syncs staff roles."
    )

    def add_subcommands(self, sub: Subcommands) -> None:
        check = sub.add_parser("check", help="validate a policy file")
        check.add_argument("file", nargs="?", help="default: WAARBORG_POLICY")
        check.add_argument(
            "--strict", action="store_true", help="refuse values still to be confirmed (exit 1)"
        )
        sub.add_parser("schema", help="print the JSON Schema of the policy format")
        sub.add_parser("apply", help="record the current policy version and sync staff roles")

    def handle_check(self, options: dict[str, Any]) -> None:
        path = Path(options["file"] or settings.WAARBORG_POLICY)
        try:
            loaded = policy_read(path)
        except PolicyInvalid as exc:
            self.stderr.write(exc.report())
            sys.exit(2)
        for warning in loaded.warnings:
            self.stderr.write(str(warning))
        if options["strict"] and loaded.warnings:
            self.stderr.write(
                f"{path}: refused (--strict): {len(loaded.warnings)} values to be confirmed"
            )
            sys.exit(1)
        p = loaded.policy
        pending = f"; {len(loaded.warnings)} values to be confirmed" if loaded.warnings else ""
        self.stdout.write(
            f"{path}: valid; {len(p.purposes)} purposes, {len(p.categories)} categories, "
            f"{len(p.products)} products, {len(p.roles)} roles, {len(p.cookies)} cookies; "
            f"version {loaded.digest[:12]}{pending}"
        )

    def handle_schema(self, options: dict[str, Any]) -> None:
        schema = Policy.model_json_schema(by_alias=True)
        self.stdout.write(json.dumps(schema, indent=2, ensure_ascii=False))

    def handle_apply(self, options: dict[str, Any]) -> None:
        try:
            loaded = policy_current()
        except PolicyInvalid as exc:
            raise CommandError(exc.report()) from None
        version, changed = policy_version_record(loaded=loaded)
        groups = policy_roles_sync(policy=loaded.policy)
        if not changed:
            state = "unchanged"
        elif version.activated_at == version.effective_at:
            state = "recorded as new version"
        else:
            state = "in force again"
        self.stdout.write(f"policy {version.short} {state}; {groups} staff roles in sync")
