from __future__ import annotations

import uuid

from django.db import models

# Every column of every model in waarborg is labelled: PERSONAL maps a column to the policy
# category it holds ("policy.fields" means: the category of each key, from the policy's fields),
# NOT_PERSONAL lists columns that hold no personal data. A test fails on an unlabelled column.


class Subject(models.Model):
    """A data subject. Personal values are encrypted under the subject's own data key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32)
    product = models.CharField(max_length=64, blank=True)
    values = models.JSONField(default=dict)
    wrapped_dek = models.BinaryField(null=True)
    kek_id = models.CharField(max_length=16, blank=True)
    email_index = models.CharField(max_length=64, null=True)  # noqa: DJ001 - NULL: no address
    phone_index = models.CharField(max_length=64, null=True)  # noqa: DJ001 - NULL: no number
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    restricted_at = models.DateTimeField(null=True)
    erased_at = models.DateTimeField(null=True)

    PERSONAL = {
        "values": "policy.fields",
        "email_index": "user.contact.email",
        "phone_index": "user.contact.phone",
    }
    NOT_PERSONAL = {
        "id",
        "kind",
        "product",
        "wrapped_dek",
        "kek_id",
        "created_at",
        "updated_at",
        "restricted_at",
        "erased_at",
    }

    class Meta:
        constraints = [
            # An address belongs to one living person (services.subject_create/update answer
            # email_taken); also the index of selectors.subject_ids_by_email.
            models.UniqueConstraint(
                fields=["email_index"],
                condition=models.Q(erased_at__isnull=True, email_index__isnull=False),
                name="vault_subject_email_unique",
            ),
        ]
        indexes = [
            # selectors.subject_ids_by_phone (blind-index lookup)
            models.Index(fields=["phone_index"], name="vault_subject_phone_idx"),
            # keys rotate: rows still wrapped by an older KEK
            models.Index(fields=["kek_id"], name="vault_subject_kek_idx"),
        ]

    def __str__(self) -> str:
        return f"subject {self.id}"


class VaultKey(models.Model):
    """Keys the vault itself needs (the blind-index key), wrapped by the KEK like a DEK."""

    name = models.CharField(max_length=32, unique=True)
    wrapped = models.BinaryField()
    kek_id = models.CharField(max_length=16)

    NOT_PERSONAL = {"id", "name", "wrapped", "kek_id"}

    def __str__(self) -> str:
        return self.name


class Acceptance(models.Model):
    """C1: which version of the statement a subject accepted, when and how."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="acceptances")
    policy_digest = models.CharField(max_length=64)
    accepted_at = models.DateTimeField()
    how = models.CharField(max_length=64)
    source = models.CharField(max_length=200)

    NOT_PERSONAL = {"id", "subject", "policy_digest", "accepted_at", "how", "source"}

    class Meta:
        indexes = [models.Index(fields=["subject", "-accepted_at"], name="vault_accept_latest_idx")]

    def __str__(self) -> str:
        return f"{self.subject_id} accepted {self.policy_digest[:12]}"


class PurposeState(models.Model):
    """Per subject and purpose, what the gate must know: consent and objection, now."""

    class Consent(models.TextChoices):
        NONE = "none", "none"
        PENDING = "pending", "pending confirmation"
        GRANTED = "granted", "granted"
        WITHDRAWN = "withdrawn", "withdrawn"

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="states")
    purpose = models.CharField(max_length=64)
    consent = models.CharField(max_length=16, choices=Consent.choices, default=Consent.NONE)
    objected = models.BooleanField(default=False)
    compelling_grounds = models.TextField(blank=True)
    updated_at = models.DateTimeField()
    # Double opt-in: the SHA-256 of the single-use code sent in the confirmation link, and until
    # when it may be used; empty once confirmed.
    confirm_digest = models.CharField(max_length=64, blank=True)
    confirm_expires = models.DateTimeField(null=True)

    # The code itself, only on the instance that ``ledger.consent_record`` returns (never stored).
    confirmation_code = ""

    # compelling_grounds: free text about the person, stored encrypted under their key.
    PERSONAL = {"compelling_grounds": "user"}
    NOT_PERSONAL = {
        "id",
        "subject",
        "purpose",
        "consent",
        "objected",
        "updated_at",
        "confirm_digest",
        "confirm_expires",
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subject", "purpose"], name="vault_state_unique"),
        ]
        indexes = [
            # gate_subjects: audience of a consent purpose
            models.Index(fields=["purpose", "consent", "subject"], name="vault_state_audience_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id}/{self.purpose}: {self.consent}"


class PurposeEvent(models.Model):
    """The ledger behind PurposeState: each consent, withdrawal and objection with its proof."""

    class Kind(models.TextChoices):
        CONSENT_GIVEN = "consent_given", "consent given"
        CONSENT_CONFIRMED = "consent_confirmed", "consent confirmed (double opt-in)"
        SOFT_OPT_IN = "soft_opt_in", "soft opt-in of an existing customer (Tw 11.7 lid 3)"
        CONSENT_WITHDRAWN = "consent_withdrawn", "consent withdrawn"
        OBJECTED = "objected", "objection"
        GROUNDS_RECORDED = "grounds_recorded", "compelling grounds recorded"

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="events")
    purpose = models.CharField(max_length=64)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    at = models.DateTimeField()
    text_version = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=16, blank=True)
    source = models.CharField(max_length=200)
    policy_digest = models.CharField(max_length=64)
    note = models.TextField(blank=True)

    # note: an objection's free text or compelling grounds, encrypted under the subject's key
    # (prefixed "enc:"), or a fixed system remark.
    PERSONAL = {"note": "user"}
    NOT_PERSONAL = {
        "id",
        "subject",
        "purpose",
        "kind",
        "at",
        "text_version",
        "channel",
        "source",
        "policy_digest",
    }

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.subject_id}/{self.purpose}: {self.kind}"
