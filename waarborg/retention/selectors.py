"""What a backup's manifest says about the database it was made of."""

from __future__ import annotations

from typing import Any

from waarborg.audit.models import AuditEntry, AuditSeal
from waarborg.policy.selectors import policy_current


def backup_facts() -> dict[str, Any]:
    """The policy version in force and the newest link of the audit chain (its position and
    hash; a restored database must hold that link) and the newest entry, sealed or not."""
    head = AuditSeal.objects.order_by("-position").values_list("position", "hash").first()
    newest = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    return {
        "policy_version": policy_current().digest,
        "audit": {
            "position": head[0] if head else 0,
            "hash": head[1] if head else None,
            "last_entry": newest,
        },
    }
