from __future__ import annotations

import random
from argparse import ArgumentParser
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyrage  # type: ignore[import-untyped]
from django.core.management.base import BaseCommand
from django.utils import timezone

from waarborg.billing.handover import handover_select
from waarborg.billing.models import Handover, Invoice
from waarborg.billing.services import Line, invoice_create, payment_register
from waarborg.core.actors import Actor
from waarborg.core.errors import Refusal
from waarborg.vault.models import Subject

# The product back end that invoices, and the billing clerk who selects claims.
BACKEND = Actor(kind="system", name="aplanner-demo-billing", scopes=frozenset({"invoicing"}))
CLERK = Actor(kind="staff", name="billing", roles=frozenset({"billing"}))
PLANS = [("Aplanner Pro, maandabonnement", 1, 1995, 21), ("Extra agenda's", 3, 250, 21)]
BOOK = ("Handboek plannen (e-book)", 1, 1500, 9)


class Command(BaseCommand):
    help = (
        "Demo invoices for the paid customers (some paid, some open, some overdue) and one "
        "handover batch of overdue claims awaiting a privacy officer's approval. Through the "
        "billing services, audited like real use. Running it again adds nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--invoices", type=int, default=24)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--agency-key",
            default="",
            help="write a demo collection agency's age key pair to PATH.key and PATH.pub "
            "(if absent), for WAARBORG_COLLECTION_AGENCY_RECIPIENT; development only",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["agency_key"]:
            _agency_key(Path(options["agency_key"]))
        if Invoice.objects.exists():
            self.stdout.write("demo invoices: present, nothing to add")
            return
        rng = random.Random(options["seed"])  # noqa: S311 - demo data
        paid = Subject.objects.filter(product="aplanner-pro", erased_at__isnull=True)
        people = list(paid.order_by("created_at").values_list("id", flat=True)[:100])
        today = timezone.localdate()
        for n in range(min(options["invoices"], len(people))):
            age = rng.randint(0, 75)  # days since the invoice date; > 14: past due
            lines = [Line(*p) for p in PLANS[: rng.randint(1, 2)]]
            if rng.random() < 0.3:
                lines.append(Line(*BOOK))
            invoice = invoice_create(
                actor=BACKEND,
                subject_id=people[n],
                lines=lines,
                issued_on=today - timedelta(days=age),
            )
            if (age > 20 and n % 3 != 0) or (age <= 20 and n % 2 == 0):
                payment_register(
                    actor=BACKEND,
                    number=invoice.number,
                    amount_cents=invoice.total_cents,
                    paid_on=invoice.issued_on + timedelta(days=rng.randint(1, 12)),
                    reference=f"SEPA-{invoice.number}",
                )
        if not Handover.objects.exists():
            try:
                batch = handover_select(actor=CLERK)
                self.stdout.write(f"demo handover: {batch.claims.count()} claims await approval")
            except Refusal as exc:
                self.stdout.write(f"demo handover: none ({exc})")
        self.stdout.write(f"demo invoices: {Invoice.objects.count()} made")


def _agency_key(base: Path) -> None:
    secret, public = base.with_suffix(".key"), base.with_suffix(".pub")
    if secret.exists() and public.exists():
        return
    identity = pyrage.x25519.Identity.generate()
    secret.write_text(f"{identity}\n")
    secret.chmod(0o600)
    public.write_text(f"{identity.to_public()}\n")
