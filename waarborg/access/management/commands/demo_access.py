from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from waarborg.access.services import staff_create, token_create
from waarborg.core.actors import Actor
from waarborg.policy.selectors import policy_current


class Command(BaseCommand):
    help = (
        "Development only (refused unless WAARBORG_DEBUG=1): create one staff login per policy "
        "role and one API token for a demo system, once, and print them. The credentials are "
        "kept in var/demo-access.json so they can be printed again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo logins are only made in development mode (WAARBORG_DEBUG=1)")
        store = Path(settings.VAR_DIR) / "demo-access.json"
        saved: dict[str, Any] = json.loads(store.read_text()) if store.exists() else {}
        actor = Actor.job("demo")
        policy = policy_current().policy
        logins = saved.setdefault("logins", {})
        for role in policy.roles:
            if role in logins and User.objects.filter(username=role).exists():
                continue
            password = f"{role}-{secrets.token_urlsafe(9)}"
            User.objects.filter(username=role).delete()
            staff_create(actor=actor, username=role, password=password, roles=[role])
            logins[role] = password
        if "token" not in saved:
            issued = token_create(
                actor=actor, system="aplanner-demo", purposes=list(policy.purposes)
            )
            saved["token"] = issued.token
        store.write_text(json.dumps(saved, indent=2))
        store.chmod(0o600)
        self.stdout.write("Staff logins (http://127.0.0.1:8000/console/):")
        for role, password in logins.items():
            self.stdout.write(f"  {role:<16} password {password}")
        self.stdout.write(f"API token (all purposes, system aplanner-demo): {saved['token']}")
