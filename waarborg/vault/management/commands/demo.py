from __future__ import annotations

import random
import re
import time
import unicodedata
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from faker import Faker
from schwifty import IBAN

from waarborg.audit.services import audit_seal
from waarborg.core.actors import Actor
from waarborg.policy.selectors import policy_current
from waarborg.policy.services import policy_version_record
from waarborg.vault.bulk import subjects_bulk_create
from waarborg.vault.models import Subject
from waarborg.vault.selectors import subject_ids_by_email
from waarborg.vault.validation import InvalidFields

BATCH = 1000


class Command(BaseCommand):
    help = (
        "Make sure at least N demo customers exist (Faker nl_NL, free and paid products, some "
        "with newsletter or offer consent). Runs through the vault services, so demo data is "
        "encrypted and audited like real data. Running it again adds only what is missing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--customers", type=int, default=250)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        version, _ = policy_version_record(loaded=policy_current())
        self._known_customer(version.digest)
        wanted = options["customers"]
        have = Subject.objects.filter(kind="customer").count()
        missing = max(0, wanted - have)
        if not missing:
            self.stdout.write(f"demo data: {have} customers present, nothing to add")
            return
        maker = _Maker(seed=options["seed"] + have)
        actor = Actor.job("demo")
        started = time.monotonic()
        done = 0
        while done < missing:
            size = min(BATCH, missing - done)
            items = [maker.customer(have + done + i) for i in range(size)]
            try:
                subjects_bulk_create(
                    actor=actor, items=items, accepted_policy_version=version.digest
                )
            except InvalidFields as exc:
                raise CommandError(
                    f"demo data was rejected, nothing of this batch stored: {exc}"
                ) from None
            done += size
            rate = done / max(time.monotonic() - started, 1e-6)
            self.stdout.write(f"  {done}/{missing} customers ({rate:,.0f}/s)")
        sealed = audit_seal()
        if connection.vendor == "postgresql":  # fresh statistics, or the planner picks nested loops
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE vault_subject, vault_purposestate, audit_auditentry")
        self.stdout.write(
            f"demo data: added {missing} customers, {have + missing} in total; "
            f"{sealed} audit entries sealed"
        )

    def _known_customer(self, digest: str) -> None:
        """One customer with known details, to search for in the console."""
        if not subject_ids_by_email(str(KNOWN["email"])):
            item = ("aplanner-pro", KNOWN, ["newsletter"])
            subjects_bulk_create(
                actor=Actor.job("demo"), items=[item], accepted_policy_version=digest
            )
        self.stdout.write(
            f"demo customer to search for: {KNOWN['email']} or {KNOWN['phone']} ({KNOWN['name']})"
        )


# A paid customer with every field, who agreed to the newsletter.
KNOWN: dict[str, object] = {
    "name": "Eva de Boer",
    "email": "eva.deboer@example.nl",
    "phone": "06 1234 5678",
    "street": "Oudegracht",
    "house_number": "12",
    "postcode": "3511 AB",
    "city": "Utrecht",
    "gender": "female",
    "iban": "NL91ABNA0417164300",
}


class _Maker:
    def __init__(self, *, seed: int) -> None:
        self.fake = Faker("nl_NL")
        self.fake.seed_instance(seed)
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not security

    def customer(self, n: int) -> tuple[str, dict[str, object], list[str]]:
        f, rng = self.fake, self.rng
        paid = rng.random() < 0.4
        first, last = f.first_name(), f.last_name()
        plain = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode()
        local = re.sub(r"[^a-z.]", "", plain.lower()).strip(".")
        fields: dict[str, object] = {
            "name": f"{first} {last}",
            "email": f"{local}.{n}@example.nl",
        }
        if paid or rng.random() < 0.5:
            fields.update(
                street=f.street_name(),
                house_number=str(rng.randint(1, 250)),
                postcode=f"{rng.randint(1000, 9999)} {rng.choice('ABCDEFGHJKLMNPRTVWXZ')}"
                f"{rng.choice('ABCDEFGHJKLMNPRTVWXZ')}",
                city=f.city(),
            )
        if rng.random() < 0.6:
            fields["phone"] = f"06{rng.randint(1, 5)}{rng.randint(1_000_000, 9_999_999)}"
        if rng.random() < 0.7:
            fields["gender"] = rng.choice(["female", "male", "other", "not_stated"])
        if paid:
            account = str(rng.randint(10**8, 10**9 - 1)).zfill(10)
            fields["iban"] = str(IBAN.generate("NL", bank_code="INGB", account_code=account))
        consents = [
            p for p, chance in (("newsletter", 0.45), ("offers", 0.25)) if rng.random() < chance
        ]
        return ("aplanner-pro" if paid else "aplanner-free", fields, consents)
