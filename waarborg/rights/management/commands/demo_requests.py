from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from waarborg.rights.demo import demo_requests_seed


class Command(BaseCommand):
    help = (
        "Development only (refused unless WAARBORG_DEBUG=1): file demo data-subject requests, "
        "one in every state (awaiting confirmation, open with time, at 7 and 2 days left, late, "
        "unclear, extended, answered, refused, lapsed), through the rights services; their letters "
        "land in var/mail/. Running it again adds nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo requests are only made in development mode (WAARBORG_DEBUG=1)")
        filed = demo_requests_seed()
        if filed:
            self.stdout.write(f"demo requests: filed {filed}, one in every state")
        else:
            self.stdout.write("demo requests: present, nothing to add")
