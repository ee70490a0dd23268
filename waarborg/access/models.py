from __future__ import annotations

import hashlib

from django.db import models
from django.utils import timezone
from django_otp.models import Device  # type: ignore[import-untyped]


class ApiSystem(models.Model):
    """A product back end that calls the API. Its purposes are its scope in the gate."""

    name = models.CharField(max_length=100)
    purposes = models.JSONField(default=list)
    token_prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True)

    NOT_PERSONAL = {
        "id",
        "name",
        "purposes",
        "token_prefix",
        "token_hash",
        "created_at",
        "revoked_at",
    }

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_prefix}…)"


class RecoveryCodes(Device):  # type: ignore[misc]
    """A staff user's set of one-time recovery codes, as a django-otp device so a session verified
    by one counts as verified everywhere.

    Our own model rather than django-otp's static tokens, which are stored in the clear: a
    database copy would hand out working second factors. Only SHA-256 digests are kept; the codes
    carry 80 random bits each, so a slow password hash would add nothing against guessing from a
    digest, and a digest can be looked up directly."""

    NOT_PERSONAL = {"id", "user", "name", "confirmed"}

    def verify_token(self, token: str) -> bool:
        # One conditional UPDATE: of two requests with the same code, only one gets a row.
        used = self.codes.filter(digest=recovery_digest(token), used_at__isnull=True).update(
            used_at=timezone.now()
        )
        return bool(used == 1)


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodes, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True)

    NOT_PERSONAL = {"id", "device", "digest", "used_at"}

    class Meta:
        indexes = [models.Index(fields=["device", "digest"])]

    def __str__(self) -> str:  # never the code; its digest is of no use to a reader either
        return f"recovery code {self.pk} ({'used' if self.used_at else 'unused'})"


def code_clean(code: str) -> str:
    """Spaces and dashes as people type them out are ignored, and so is case."""
    return "".join(ch for ch in code if ch not in " -\t").lower()[:64]


def recovery_digest(code: str) -> str:
    """What is stored of a recovery code (beside the model that keeps it)."""
    return hashlib.sha256(code_clean(code).encode()).hexdigest()
