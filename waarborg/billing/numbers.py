"""Invoice numbers: per year, sequential, without gaps (2026-000001, 2026-000002, ...).

The number is taken in the invoice's own transaction: the counter row is first made to exist
(an INSERT that ignores a conflict), then raised by one with an UPDATE that holds its row lock
until the transaction ends. A second process waits for that lock (on SQLite, for the database's
write lock) and then reads the raised value, so no number is given twice; an invoice that rolls
back rolls its number back too, so none is skipped."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from waarborg.billing.models import InvoiceCounter


def invoice_number_format(*, year: int, sequence: int) -> str:
    return f"{year}-{sequence:06d}"


def invoice_number_take(*, year: int) -> int:
    """The next sequence number of ``year``; only inside the transaction that uses it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("an invoice number is taken inside the invoice's transaction")
    InvoiceCounter.objects.bulk_create([InvoiceCounter(year=year, last=0)], ignore_conflicts=True)
    InvoiceCounter.objects.filter(year=year).update(last=F("last") + 1)
    return InvoiceCounter.objects.select_for_update().values_list("last", flat=True).get(year=year)
