"""The vault as a connector: every value through the gate, under the purpose that answers
requests, by the job that carries them out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from waarborg.connectors.base import ConnectorError, Erased, Person, Retrieved
from waarborg.core.actors import Actor
from waarborg.gate.request_writes import (
    gate_request_erase,
    gate_request_lift,
    gate_request_restrict,
)
from waarborg.gate.requests import Holding, gate_request_holding
from waarborg.gate.services import Refused

STEPS = Actor.job("rights_steps")


class VaultConnector:
    local = True

    def retrieve(self, person: Person) -> Retrieved:
        held = gate_request_holding(actor=STEPS, subject_id=person.subject_id)
        if isinstance(held, Refused):
            if held.reason in ("erased", "not_found"):
                return Retrieved()  # nothing on file any more: nothing to hand over
            raise ConnectorError(f"vault refused: {held.reason}", retry=False)
        return Retrieved(
            rows=[{"field": k, "value": v} for k, v in held.data.items()],
            documents=_documents(held),
        )

    def erase(self, person: Person) -> Erased:
        done = gate_request_erase(
            actor=STEPS, subject_id=person.subject_id, reason=f"request {person.reference}"
        )
        if not done.holds:
            return Erased(count=len(done.erased))
        first = done.holds[0]
        until = max(h.until for h in done.holds)
        return Erased(
            count=len(done.erased),
            kept=done.kept,
            ground=first.purpose,
            reference=first.reference,
            until=until,
        )

    def restrict(self, person: Person) -> None:
        gate_request_restrict(
            actor=STEPS, subject_id=person.subject_id, reason=f"request {person.reference}"
        )

    def lift(self, person: Person) -> bool:
        reason = f"request {person.reference}: the person was told"
        return gate_request_lift(actor=STEPS, subject_id=person.subject_id, reason=reason)

    def rectify(self, person: Person, fields: Mapping[str, str]) -> None:
        # The vault is corrected by the privacy officer's decision (rights.decisions), through
        # its own validation; no step sends it a correction.
        raise ConnectorError("vault: corrected by the privacy officer, not by a step", retry=False)


def _documents(held: Holding) -> dict[str, Any]:
    return {
        "record": {
            "kind": held.kind,
            "product": held.product,
            "created_at": held.created_at.isoformat(),
            "restricted_at": held.restricted_at.isoformat() if held.restricted_at else None,
            "held_until": held.held_until.isoformat() if held.held_until else None,
        },
        "events": held.events,
        "acceptances": held.acceptances,
        "access_log": held.access_log,  # CSV, as the database wrote it
        "access_summary": held.access_summary,
        "access_recent": [{**e, "at": e["at"].isoformat()} for e in held.access_recent],
    }
