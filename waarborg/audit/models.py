from __future__ import annotations

from typing import Any

from django.db import models

# Columns of the audit log hold no personal values: the subject is referenced by its random id,
# fields by name (so each model says NOT_PERSONAL = True). Both tables are append-only; database
# triggers reject UPDATE and DELETE.


class AuditEntry(models.Model):
    """One read or change. Written in the same transaction as the thing it records."""

    at = models.DateTimeField()
    actor = models.CharField(max_length=200)
    subject_id = models.UUIDField(null=True, db_index=True)
    purpose = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64)
    fields = models.JSONField(default=list)
    decision = models.CharField(max_length=16, blank=True)
    reason = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict)

    NOT_PERSONAL = True

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} by {self.actor}"

    def canonical(self) -> dict[str, object]:
        return canonical_entry(*(getattr(self, name) for name in CANONICAL_COLUMNS))


# The columns an entry's hash covers, in the order ``canonical_entry`` takes them.
CANONICAL_COLUMNS = (
    "id",
    "at",
    "actor",
    "subject_id",
    "purpose",
    "action",
    "fields",
    "decision",
    "reason",
    "detail",
)


def canonical_entry(*values: Any) -> dict[str, object]:
    """What the hash chain covers of one entry, from its column values (``CANONICAL_COLUMNS``)."""
    pk, at, actor, subject_id, purpose, action, fields, decision, reason, detail = values
    return {
        "id": pk,
        "at": at.isoformat(),
        "actor": actor,
        "subject": str(subject_id) if subject_id else None,
        "purpose": purpose,
        "action": action,
        "fields": list(fields),
        "decision": decision,
        "reason": reason,
        "detail": detail,
    }


class AuditSeal(models.Model):
    """An entry's place in the hash chain, given by the sealer after the entry committed."""

    position = models.BigIntegerField(primary_key=True)
    entry = models.OneToOneField(AuditEntry, on_delete=models.PROTECT, related_name="seal")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()

    NOT_PERSONAL = True

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.position}: {self.hash[:12]}"
