"""The consent area's door to the vault for sign-up: whose address this is (by blind index only)
and a new subscriber. Finding reveals whether someone is on file, so it is audited like a read,
with how many matched and never the address."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from waarborg.audit.services import audit_record
from waarborg.core.actors import Actor
from waarborg.gate.writes import _audited
from waarborg.vault.selectors import subject_ids_by_email
from waarborg.vault.services import subject_create

SUBSCRIBER = "newsletter_subscriber"


def gate_subscriber_find(*, actor: Actor, email: str, purpose: str) -> UUID | None:
    """The living subject with this e-mail address, or None; no value is read."""
    ids = subject_ids_by_email(email, limit=1)  # one living subject per address (a constraint)
    found = ids[0] if ids else None
    audit_record(
        actor=actor,
        action="consent.lookup",
        subject_id=found,
        purpose=purpose,
        detail={"matches": len(ids)},
    )
    return found


def gate_subscriber_create(*, actor: Actor, product: str, fields: Mapping[str, object]) -> UUID:
    """A person who signs up for messages and is not yet on file: a subscriber, not a customer
    (so no soft opt-in ever applies to them). The vault validates and audits."""
    subject = _audited(
        actor,
        "subject_create",
        None,
        lambda: subject_create(actor=actor, product=product, fields=fields, kind=SUBSCRIBER),
    )
    return subject.id
