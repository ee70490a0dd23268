"""Finding people: by e-mail address (API and console) or phone number and id (console).

Finding someone reveals that they are a customer, so every lookup is a read: audited, allowed or
refused, with how many matched (never what was typed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from django.utils.translation import gettext_lazy as _

from waarborg.audit.services import audit_record
from waarborg.core.actors import Actor
from waarborg.core.errors import Text
from waarborg.gate.services import (
    Allowed,
    Refused,
    audit_answer,
    gate_fields,
    gate_purpose_refusal,
    gate_reach,
)
from waarborg.vault.selectors import subject_ids_by_email, subject_ids_by_phone, subject_standing
from waarborg.vault.validation import phone_e164


@dataclass(frozen=True)
class Match:
    id: UUID
    purpose: str
    fields: dict[str, str]


def gate_lookup(*, actor: Actor, purpose: str, email: str) -> list[Match] | Refused:
    """The subjects with this e-mail address that ``purpose`` may read, with their fields.

    Every refusal that depends on the person (no consent, objected, restricted, ...) answers
    ``not_found`` like an unknown address: otherwise any address could be tested for being a
    customer. The log keeps each refusal with its reason."""
    # Decided before the blind index is read, so a refused caller learns nothing about who exists.
    refusal = gate_purpose_refusal(actor=actor, purpose=purpose)
    matches = [] if refusal else subject_ids_by_email(email)
    detail = {"matches": len(matches)}
    audit_answer(
        actor=actor, action="subject.lookup", reason=refusal, purpose=purpose, detail=detail
    )
    if refusal:
        return Refused(refusal)
    found = []
    # An unknown address reads one subject that cannot exist: it costs what a known but refused
    # person costs (one read, one audit entry), so the time of the answer tells nothing either.
    for subject_id in matches or [uuid4()]:
        result = gate_fields(actor=actor, purpose=purpose, subject=subject_id)
        if isinstance(result, Allowed):
            found.append(Match(id=subject_id, purpose=purpose, fields=result.fields))
    return found or Refused("not_found")


@dataclass(frozen=True)
class Found:
    ids: list[UUID] = field(default_factory=list)
    error: Text = ""


def gate_search(*, actor: Actor, query: str) -> Found:
    """Staff search by e-mail address, phone number or id. The ids found carry no values: a page
    asks ``gate_fields`` for a purpose to see any."""
    query = query.strip()[:320]
    by, matched = _match(query)
    if by == "":
        return Found(error=_("Search by e-mail address, phone number or id."))
    # A person none of the actor's purposes may read is answered as unknown: the search must not
    # tell a role that someone is a customer. The log keeps who was withheld and why.
    reasons = {i: gate_reach(actor=actor, subject_id=i) for i in matched}
    ids = [i for i in matched if not reasons[i]]
    detail: dict[str, Any] = {"by": by, "matches": len(ids)}
    if len(ids) > 1:
        detail["subjects"] = [str(i) for i in ids]  # who was revealed, not what was typed
    withheld = {str(i): r for i, r in reasons.items() if r}
    if withheld:
        detail["withheld"] = withheld
    audit_record(
        actor=actor,
        action="console.search",
        subject_id=ids[0] if len(ids) == 1 else None,
        detail=detail,
    )
    return Found(ids=ids)


def _match(query: str) -> tuple[str, list[UUID]]:
    try:
        subject_id = UUID(query)
    except ValueError:
        pass
    else:
        return "id", [subject_id] if subject_standing(subject_id) is not None else []
    if "@" in query:
        return "email", subject_ids_by_email(query)
    phone = phone_e164(query)
    if phone is not None:
        return "phone", subject_ids_by_phone(phone)
    return "", []
