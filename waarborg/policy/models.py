from __future__ import annotations

from django.db import models


class PolicyVersion(models.Model):
    """A policy as it was in force from ``effective_at``; one row per distinct canonical hash."""

    digest = models.CharField(max_length=64, unique=True)
    effective_at = models.DateTimeField()
    document = models.JSONField()
    source = models.CharField(max_length=500)

    class Meta:
        ordering = ["-effective_at", "-id"]

    def __str__(self) -> str:
        return f"{self.digest[:12]} ({self.effective_at:%Y-%m-%d %H:%M})"

    @property
    def short(self) -> str:
        return self.digest[:12]
