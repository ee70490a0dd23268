"""What was done about one data-subject request, from the audit log: for the privacy officer's
page about it. Entries carry codes and ids, never personal values (the texts of a request are
opened by ``gate.requesters``, audited), so reading them is not itself logged: every visit to
the page would otherwise add to the very trail it shows."""

from __future__ import annotations

from uuid import UUID

from waarborg.audit.models import AuditEntry
from waarborg.audit.selectors import audit_about_request
from waarborg.core.actors import Actor
from waarborg.core.errors import Refusal
from waarborg.policy.rules import REASONS, decides_objections
from waarborg.policy.selectors import policy_current

# What the gate hands a door: rows without personal values.
TrailEntry = AuditEntry


def gate_request_trail(
    *, actor: Actor, reference: str, subject_id: UUID | None
) -> list[TrailEntry]:
    """The audit entries of request ``reference``, oldest first, for a role that decides on
    requests (CMS: the privacy officer); anyone else is refused."""
    if not decides_objections(policy_current().policy, actor):
        raise Refusal("role_not_permitted", REASONS["role_not_permitted"])
    return audit_about_request(reference=reference, subject_id=subject_id)
