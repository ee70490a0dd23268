"""What the console's tables show: log entries, ledger events and fields, in words of the page's
language (purposes by their policy names, decisions and reasons translated, fields in the policy's
order). Presentation only: what may be shown was decided by the gate."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from waarborg.core.i18n import current_language
from waarborg.gate.ledger import LedgerEvent, LogEntry
from waarborg.gate.words import (
    ACTIONS,
    ALLOWED,
    CHANNELS,
    EVENTS,
    REFUSED,
    reason_words,
    value_words,
    words,
)
from waarborg.policy.selectors import policy_current


def purpose_names(keys: Iterable[str]) -> list[tuple[str, str]]:
    purposes = policy_current().policy.purposes
    lang = current_language()
    return [(k, purposes[k].name.get(lang) if k in purposes else k) for k in keys]


def _purpose(key: str) -> str:
    return purpose_names([key])[0][1] if key else ""


def field_rows(values: dict[str, str]) -> list[tuple[str, str]]:
    """(label, value) in the policy's order of fields; a coded value (gender) in words."""
    policy = policy_current().policy
    lang = current_language()
    return [
        (spec.label.get(lang), value_words(key, values[key]))
        for key, spec in policy.fields.items()
        if key in values
    ]


def _who(actor: str) -> str:
    kind, _, name = actor.partition(":")
    return name or kind


def access_rows(entries: Iterable[LogEntry]) -> list[dict[str, Any]]:
    return [
        {
            "at": e.at,
            "who": _who(e.actor),
            "action": words(ACTIONS, e.action),
            "purpose": _purpose(e.purpose),
            "subject_id": e.subject_id,
            "allowed": e.decision != "refused",
            "decision": REFUSED if e.decision == "refused" else ALLOWED,
            "reason": reason_words(e.reason),
        }
        for e in entries
    ]


# The colour of an event's badge: consent in force, withdrawn, objected, grounds against it.
TONES = {
    "consent_given": "ok",
    "consent_confirmed": "ok",
    "soft_opt_in": "ok",
    "consent_withdrawn": "muted",
    "objected": "bad",
    "grounds_recorded": "warn",
}


def history_rows(events: Iterable[LedgerEvent]) -> list[dict[str, Any]]:
    return [
        {
            "at": e.at,
            "purpose": _purpose(e.purpose),
            "what": words(EVENTS, e.kind),
            "tone": TONES.get(e.kind, "muted"),
            "channel": words(CHANNELS, e.channel) if e.channel else "",
            "text_version": e.text_version,
            "source": _who(e.source),
        }
        for e in events
    ]
