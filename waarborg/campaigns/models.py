"""Campaigns: a newsletter or an offer, and one delivery row per person it goes to.

A delivery moves pending -> sending (claimed by one sender, ``sending.py``) -> sent, or to
skipped (the gate refused the person just before sending), failed (the mail server refused) or
unknown (its sender died between the claim and the record of the mail server's answer: it may
have gone, so it is never sent again; see ``sending.py``)."""

from __future__ import annotations

from django.db import models


class Campaign(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "draft"
        SENDING = "sending", "sending"
        DONE = "done", "done"

    purpose = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    subject_nl = models.CharField(max_length=200)
    subject_en = models.CharField(max_length=200)
    text_nl = models.TextField()
    text_en = models.TextField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)

    NOT_PERSONAL = {
        "id",
        "purpose",
        "name",
        "subject_nl",
        "subject_en",
        "text_nl",
        "text_en",
        "state",
        "created_at",
        "started_at",
        "finished_at",
        "created_by",  # a staff account's label, as in the audit log
    }

    def __str__(self) -> str:
        return f"{self.name} ({self.purpose}, {self.state})"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        SENDING = "sending", "sending"
        SENT = "sent", "sent"
        SKIPPED = "skipped", "skipped"
        FAILED = "failed", "failed"
        UNKNOWN = "unknown", "unknown"
        BOUNCED = "bounced", "bounced"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    subject_id = models.UUIDField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=64, blank=True)  # the gate's reason for a skip
    claimed_by = models.CharField(max_length=80, blank=True)
    claimed_at = models.DateTimeField(null=True)
    sent_at = models.DateTimeField(null=True)

    NOT_PERSONAL = {
        "id",
        "campaign",
        "subject_id",
        "status",
        "reason",
        "claimed_by",
        "claimed_at",
        "sent_at",
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "subject_id"], name="campaigns_delivery_once"
            )
        ]
        indexes = [
            # claiming the next batch: pending rows of one campaign in id order
            models.Index(fields=["campaign", "status", "id"], name="campaigns_delivery_claim_idx"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.status})"


class Suppression(models.Model):
    """An address no campaign mails again: a hard bounce or a complaint. Kept by the address's
    blind index (the vault's ``email_index``), so a person who changes address can be mailed at
    the new one, and the address itself is never stored here."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", "hard bounce"
        COMPLAINT = "complaint", "complaint"

    email_index = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    delivery = models.ForeignKey(Delivery, on_delete=models.SET_NULL, null=True)
    recorded_at = models.DateTimeField()

    PERSONAL = {"email_index": "user.contact.email"}
    NOT_PERSONAL = {"id", "reason", "delivery", "recorded_at"}

    def __str__(self) -> str:
        return f"suppressed ({self.reason})"


class MailEvent(models.Model):
    """A bounce or complaint as reported, also a soft bounce that suppresses nothing."""

    class Kind(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", "hard bounce"
        SOFT_BOUNCE = "soft_bounce", "soft bounce"
        COMPLAINT = "complaint", "complaint"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    detail = models.CharField(max_length=500, blank=True)
    reported_by = models.CharField(max_length=200)
    recorded_at = models.DateTimeField()

    NOT_PERSONAL = {"id", "delivery", "kind", "detail", "reported_by", "recorded_at"}

    def __str__(self) -> str:
        return f"{self.kind} of delivery {self.delivery_id}"
