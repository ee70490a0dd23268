"""A purpose can concern only some products: CMS invoices (and books) paid products only."""

from __future__ import annotations

import pytest

from waarborg.conftest import en, staff
from waarborg.gate.services import Allowed, Refused, gate_fields, gate_subjects
from waarborg.vault.models import Subject
from waarborg.vault.tests.factories import free_customer, pro_customer

pytestmark = pytest.mark.django_db
BILLING = staff("billing")


def test_invoicing_reads_a_paid_customer_and_refuses_a_free_one_saying_why():
    paid, free = pro_customer(), free_customer()
    assert isinstance(gate_fields(actor=BILLING, purpose="invoicing", subject=paid.id), Allowed)
    refused = gate_fields(actor=BILLING, purpose="invoicing", subject=free.id)
    assert refused == Refused("product_not_covered")
    assert isinstance(refused, Refused)
    assert en(refused.message) == "This purpose does not apply to this person's product."
    audience = gate_subjects(actor=BILLING, purpose="invoicing", queryset=Subject.objects.all())
    assert list(audience.values_list("id", flat=True)) == [paid.id]  # type: ignore[union-attr]
