from __future__ import annotations

from django.db import models


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
