"""Writes of e-mail consent: withdrawal by an unsubscribe link (and, below, sign-up with double
opt-in). Every change goes through the gate's ledger writes, which keep the proof row and the
audit entry in one transaction."""

from __future__ import annotations

from uuid import UUID

from waarborg.consent.unsubscribe import BAD_TOKEN, unsubscribe_token_read
from waarborg.core.actors import Actor
from waarborg.core.errors import Refusal
from waarborg.gate.writes import gate_consent_record
from waarborg.policy.selectors import policy_current

# What a one-click unsubscribe records as its source on the proof row.
ONE_CLICK = "unsubscribe:one-click"
UNSUBSCRIBE_PAGE = "unsubscribe:page"


def marketing_purposes() -> list[str]:
    """The purposes of the policy in force that send messages on consent (direct marketing)."""
    purposes = policy_current().policy.purposes
    return [key for key, spec in purposes.items() if spec.direct_marketing]


def capture_actor() -> Actor:
    """Who acts when a person signs up or unsubscribes on waarborg's own pages: waarborg's web
    capture, allowed only the direct-marketing purposes. The person is known by the signed
    link or their e-mail address, never by a login."""
    return Actor(kind="system", name="consent-capture", scopes=frozenset(marketing_purposes()))


def unsubscribe_withdraw(*, token: str, source: str = ONE_CLICK) -> str:
    """Withdraw the consent the token names, at once; the purpose withdrawn. A person the vault
    no longer holds (erased) gets no mail anyway: that is no error for them."""
    subject_id, purpose = unsubscribe_token_read(token=token)
    if purpose not in marketing_purposes():
        raise Refusal("bad_token", BAD_TOKEN)
    _withdraw(subject_id, purpose, source)
    return purpose


def _withdraw(subject_id: UUID, purpose: str, source: str) -> None:
    try:
        gate_consent_record(
            actor=capture_actor(),
            subject_id=subject_id,
            purpose=purpose,
            granted=False,
            text_version="",
            channel="email",
            source=source,
        )
    except Refusal as refusal:
        if refusal.code != "not_found":
            raise
