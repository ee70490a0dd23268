"""The rights app's door to the vault: whether an address is on file, and the sealed texts of a
request (the requester's address and words). Both are reads of personal data, so both are
audited, under the ``rights`` purpose, without the values themselves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from waarborg.audit.services import audit_record
from waarborg.core.actors import Actor
from waarborg.core.errors import Refusal
from waarborg.gate.decrypt import open_text
from waarborg.policy.rules import REASONS, decides_objections
from waarborg.policy.selectors import policy_current
from waarborg.vault.index import email_index
from waarborg.vault.sealed import text_seal
from waarborg.vault.selectors import subject_ids_by_email

RIGHTS = "rights"


def request_text_label(reference: str, name: str) -> str:
    """What a request's sealed text is bound to: its request and column."""
    return f"rights.request:{reference}:{name}"


@dataclass(frozen=True)
class Requester:
    subject_id: UUID | None  # the living subject with this address; None: not on file
    email_index: str  # the address's blind index, to find requests from it without it


def gate_requester_find(*, actor: Actor, email: str) -> Requester:
    """Who this e-mail address belongs to, by blind index only (no value is read). Audited with
    how many matched, never the address."""
    ids = subject_ids_by_email(email, limit=1)  # one living subject per address (a constraint)
    found = ids[0] if ids else None
    audit_record(
        actor=actor,
        action="rights.lookup",
        subject_id=found,
        purpose=RIGHTS,
        detail={"matches": len(ids)},
    )
    return Requester(subject_id=found, email_index=email_index(email))


def gate_request_seal(*, reference: str, texts: Mapping[str, str]) -> dict[str, str]:
    """``texts`` sealed for storage on request ``reference`` (a write: the caller audits it)."""
    return {
        name: text_seal(text, label=request_text_label(reference, name))
        for name, text in texts.items()
    }


def gate_request_open(
    *, actor: Actor, reference: str, subject_id: UUID | None, sealed: Mapping[str, str]
) -> dict[str, str]:
    """The sealed texts of a request, opened for a privacy officer or a job (the letters);
    audited with the names of what was opened. Anyone else is refused."""
    if actor.kind != "job" and not decides_objections(policy_current().policy, actor):
        raise Refusal("role_not_permitted", REASONS["role_not_permitted"])
    opened = {
        name: open_text(text, label=request_text_label(reference, name))
        for name, text in sealed.items()
    }
    audit_record(
        actor=actor,
        action="rights.read",
        subject_id=subject_id,
        purpose=RIGHTS,
        fields=sorted(name for name, text in sealed.items() if text),
        decision="allowed",
        detail={"request": reference},
    )
    return opened
