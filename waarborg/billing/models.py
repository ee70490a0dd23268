"""Invoices, payments, and the handover of unpaid claims to the collection agency.

Invoices are the books (art. 52 AWR): they fall under the policy's ``bookkeeping`` purpose and its
7-year hold, counted from the end of the financial year of ``issued_on``. ``RETENTION`` on each
model says so for the retention sweep; rows are never deleted by billing itself. Each invoice goes
once its own period has ended (``"rows": True``): the sweep calls ``Invoice.retention_remove``,
which takes its lines, payments and collection claim with it and leaves the disclosure register
entry of a handed-over claim in place without the invoice's number and amount (docs/retention.md).
"""

from __future__ import annotations

import uuid

from django.db import models

# What the retention schedule reads: the purpose whose period applies, and the date it counts from
# (end of the financial year in which the invoice was issued).
BOOKS = {"purpose": "bookkeeping", "from": "end_of_financial_year", "date": "issued_on"}


class InvoiceCounter(models.Model):
    """The last invoice number given out in one year. Numbers come from here under a row lock in
    the invoice's own transaction, so a rolled-back invoice gives its number back: no gaps."""

    year = models.PositiveIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    NOT_PERSONAL = {"id", "year", "last"}

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Invoice(models.Model):
    number = models.CharField(max_length=16, unique=True)  # 2026-000001
    year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    subject_id = models.UUIDField()
    product = models.CharField(max_length=64)
    issued_on = models.DateField()
    due_on = models.DateField()
    net_cents = models.BigIntegerField()
    vat_cents = models.BigIntegerField()
    total_cents = models.BigIntegerField()
    paid_cents = models.BigIntegerField(default=0)
    settled_on = models.DateField(null=True)
    created_at = models.DateTimeField()

    # Each invoice is deleted when its own period ends, also while a newer one holds the customer.
    RETENTION = {**BOOKS, "rows": True}
    PERSONAL = {
        "issued_on": "billing.invoice",
        "due_on": "billing.invoice",
        "net_cents": "billing.invoice",
        "vat_cents": "billing.invoice",
        "total_cents": "billing.invoice",
        "paid_cents": "billing.invoice",
        "settled_on": "billing.invoice",
    }
    NOT_PERSONAL = {"id", "number", "year", "sequence", "subject_id", "product", "created_at"}

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="billing_invoice_seq_unique"),
        ]
        indexes = [
            models.Index(fields=["subject_id"], name="billing_invoice_subject_idx"),
            # overdue detection: open invoices by due date
            models.Index(fields=["settled_on", "due_on"], name="billing_invoice_open_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def outstanding_cents(self) -> int:
        return self.total_cents - self.paid_cents

    @classmethod
    def retention_remove(cls, ids: list[int], *, note: str) -> dict[int, list[str]]:
        """Delete the invoices ``ids`` whose retention period ended, with what billing keeps per
        invoice (lines, payments, the collection claim), in the caller's transaction; answers per
        invoice found the rows deleted (one model label per row). The disclosure register entry
        of a handed-over claim stays, its ``what`` (number and amount) replaced by ``note``; a
        handover that loses a claim loses its encrypted exports (they hold that claim's person too;
        the agency has its own copy)."""
        found = {
            pk: [cls._meta.label_lower]
            for pk in cls.objects.filter(id__in=ids).values_list("id", flat=True)
        }
        for model in (InvoiceLine, Payment):
            for invoice_id in model.objects.filter(invoice_id__in=ids).values_list(
                "invoice_id", flat=True
            ):
                found[invoice_id].append(model._meta.label_lower)
            model.objects.filter(invoice_id__in=ids).delete()
        claims = Claim.objects.filter(invoice_id__in=ids)
        handovers = set()
        for invoice_id, handover_id, number, subject_id in claims.values_list(
            "invoice_id", "handover_id", "invoice__number", "invoice__subject_id"
        ):
            found[invoice_id].append(Claim._meta.label_lower)
            handovers.add(handover_id)
            Disclosure.objects.filter(
                handover_id=handover_id, subject_id=subject_id, what__startswith=f"{number}: "
            ).update(what=note)
        claims.delete()
        # The exports hold every claim of the batch: they go with the first claim that goes.
        Handover.objects.filter(id__in=handovers).update(export_csv=None, export_json=None)
        cls.objects.filter(id__in=list(found)).delete()
        return found


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    unit_cents = models.BigIntegerField()
    vat_rate = models.PositiveSmallIntegerField()  # percent: 21, 9 or 0
    net_cents = models.BigIntegerField()

    RETENTION = BOOKS
    PERSONAL = {
        "description": "billing.invoice",
        "quantity": "billing.invoice",
        "unit_cents": "billing.invoice",
        "net_cents": "billing.invoice",
    }
    NOT_PERSONAL = {"id", "invoice", "position", "vat_rate"}

    class Meta:
        ordering = ["invoice", "position"]

    def __str__(self) -> str:
        return f"{self.invoice_id}/{self.position}"


class Payment(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount_cents = models.BigIntegerField()
    paid_on = models.DateField()
    reference = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()

    RETENTION = BOOKS
    PERSONAL = {"amount_cents": "billing.invoice", "paid_on": "billing.invoice"}
    NOT_PERSONAL = {"id", "invoice", "reference", "created_at"}

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.amount_cents}"


class Handover(models.Model):
    """A batch of overdue claims for the collection agency; nothing leaves before a privacy
    officer approves it. The export holds only the ciphertext (age, to the agency's key)."""

    class Status(models.TextChoices):
        AWAITING = "awaiting", "awaiting approval"
        APPROVED = "approved", "approved and exported"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.AWAITING)
    recipient = models.CharField(max_length=64, default="collection_agency")
    selected_by = models.CharField(max_length=150)
    selected_at = models.DateTimeField()
    approved_by = models.CharField(max_length=150, blank=True)
    approved_at = models.DateTimeField(null=True)
    export_csv = models.BinaryField(null=True)
    export_json = models.BinaryField(null=True)

    PERSONAL = {"export_csv": "user", "export_json": "user"}
    NOT_PERSONAL = {
        "id",
        "status",
        "recipient",
        "selected_by",
        "selected_at",
        "approved_by",
        "approved_at",
    }

    def __str__(self) -> str:
        return f"handover {self.id}"


class Claim(models.Model):
    """One overdue invoice in a handover; an invoice goes to the agency once."""

    handover = models.ForeignKey(Handover, on_delete=models.PROTECT, related_name="claims")
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="claim")
    amount_cents = models.BigIntegerField()
    refused = models.CharField(max_length=32, blank=True)  # the gate's reason, when not handed over

    RETENTION = BOOKS  # goes with its invoice (Invoice.retention_remove)
    PERSONAL = {"amount_cents": "billing.invoice"}
    NOT_PERSONAL = {"id", "handover", "invoice", "refused"}

    def __str__(self) -> str:
        return f"{self.handover_id}: {self.invoice_id}"


class Disclosure(models.Model):
    """The disclosure register: personal data given to a third party (what, to whom, on which
    ground, approved by whom, when), and whether the person was told."""

    subject_id = models.UUIDField()
    recipient = models.CharField(max_length=64)
    purpose = models.CharField(max_length=64)
    ground = models.CharField(max_length=64)
    categories = models.JSONField(default=list)
    what = models.CharField(max_length=200)
    handover = models.ForeignKey(
        Handover, on_delete=models.PROTECT, null=True, related_name="disclosures"
    )
    approved_by = models.CharField(max_length=150)
    disclosed_at = models.DateTimeField()
    language = models.CharField(max_length=8, default="nl")
    notice_claimed_at = models.DateTimeField(null=True)
    notice_sent_at = models.DateTimeField(null=True)

    RETENTION = BOOKS
    PERSONAL = {"what": "billing.invoice"}
    NOT_PERSONAL = {
        "id",
        "subject_id",
        "recipient",
        "purpose",
        "ground",
        "categories",
        "handover",
        "approved_by",
        "disclosed_at",
        "language",
        "notice_claimed_at",
        "notice_sent_at",
    }

    class Meta:
        ordering = ["-disclosed_at", "-id"]
        indexes = [models.Index(fields=["subject_id"], name="billing_disclosure_subject_idx")]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.what}"
