"""What the billing tests build: paid and free customers, invoices, an age key pair."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pyrage  # type: ignore[import-untyped]

from waarborg.billing.models import Invoice
from waarborg.billing.services import Line, invoice_create
from waarborg.conftest import system
from waarborg.core.actors import Actor
from waarborg.vault.services import subject_create

BACKEND = system("invoicing", name="shop")
PAID = {
    "name": "Karel Klant",
    "email": "karel.klant@example.nl",
    "street": "Laan",
    "house_number": "5",
    "postcode": "2511 AA",
    "city": "Den Haag",
    "iban": "NL91ABNA0417164300",
    "phone": "0612345678",
}


def customer(*, paid: bool = True, email: str = "karel.klant@example.nl") -> UUID:
    fields = dict(PAID, email=email)
    if not paid:
        fields = {"name": fields["name"], "email": email}
    product = "aplanner-pro" if paid else "aplanner-free"
    return subject_create(actor=Actor.job("test"), product=product, fields=fields).id


def invoice(subject_id: UUID, *, issued_on: date, cents: int = 1995) -> Invoice:
    return invoice_create(
        actor=BACKEND,
        subject_id=subject_id,
        lines=[Line("Aplanner Pro", 1, cents, 21)],
        issued_on=issued_on,
    )


def age_pair() -> tuple[str, object]:
    identity = pyrage.x25519.Identity.generate()
    return str(identity.to_public()), identity
