from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from waarborg.core.actors import Actor
from waarborg.retention.models import SweepRun
from waarborg.retention.planning import retention_event_record, schedule_refresh
from waarborg.retention.sweep import retention_sweep
from waarborg.vault.models import Subject
from waarborg.vault.services import subject_create

# Former customers of the free product: their contract ended more than two years ago, so the
# administration period has run out, and their record is three years old.
DEMO = Actor.job("demo-retention")
FORMER = [
    ("Joost Vermeer", "joost.vermeer@example.nl"),
    ("Sanne Bakker", "sanne.bakker@example.nl"),
]


class Command(BaseCommand):
    help = (
        "Demo retention: two former customers whose every period has ended, and one sweep that "
        "erases them and writes a deletion certificate, so the console's retention page has a "
        "plan and a certificate to show. Development only; running it again adds nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            # It sweeps for real: on a production database it would remove whatever is due.
            raise CommandError("demo_retention runs only in development mode (WAARBORG_DEBUG=1).")
        if SweepRun.objects.filter(finished_at__isnull=False).exists():
            self.stdout.write("demo retention: a certificate is present, nothing to add")
            return
        now = timezone.now()
        with transaction.atomic():
            made = [
                subject_create(
                    actor=DEMO,
                    product="aplanner-free",
                    fields={"name": name, "email": email},
                ).id
                for name, email in FORMER
            ]
            Subject.objects.filter(id__in=made).update(created_at=now - timedelta(days=3 * 365))
            for subject_id in made:
                ended = now - timedelta(days=2 * 365 + 40)
                retention_event_record(subject_id=subject_id, event="end_of_contract", at=ended)
        schedule_refresh()
        run = retention_sweep(actor=DEMO)
        if run is None:
            self.stdout.write("demo retention: nothing was due")
            return
        deletions = run.summary.get("deletions", 0)
        self.stdout.write(f"demo retention: certificate {run.id}, {deletions} deletions")
