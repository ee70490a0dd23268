"""The interface every system a request is carried out in offers: ``retrieve``, ``erase``,
``restrict``, ``lift`` (the restriction, once the person was told) and ``rectify``, about one
person, for one step of one request.

Error contract (the step runner, ``waarborg.rights.tasks``, relies on it):

- A connector raises ``ConnectorError`` and nothing else on purpose. ``retry=True``: the system
  could not be reached or answered that it is busy (a network error, a timeout, HTTP 5xx, 408 or
  429); the step is tried again later, with a growing pause, until its attempts run out.
  ``retry=False``: the system answered but refuses or cannot do it (another 4xx, an answer we
  cannot read); the step fails at once and the person's answer says which system could not.
- Any other exception is a fault of ours (a database that went away): the step is tried again
  like ``retry=True``.
- Every operation is idempotent per step: ``Person.step`` is the idempotency key, and calling
  again after a crash must not do the work twice (erasing an erased person erases nothing and
  counts 0; a webhook receiver answers a step it has seen with its first answer).
- The message of a ``ConnectorError`` is for the privacy officer's log and holds no personal
  data (a system's name, a status code).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol
from uuid import UUID

Row = dict[str, Any]


@dataclass(frozen=True)
class Person:
    """Whom a step concerns: the subject's id (all another system needs to find its records)
    and the request and step, which a receiver can log and deduplicate by."""

    subject_id: UUID
    reference: str
    step: str


@dataclass(frozen=True)
class Retrieved:
    """What a system holds about the person: rows (flat objects) and, for the vault, named
    documents already in JSON (the access log can be large: it is not parsed again)."""

    rows: list[Row] = field(default_factory=list)
    documents: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Erased:
    count: int  # values or records erased now (0 when they were gone already)
    kept: list[str] = field(default_factory=list)  # what the law makes the system keep
    ground: str = ""  # the purpose whose legal obligation keeps it
    reference: str = ""  # the law, as the policy names it
    until: date | None = None  # when the kept data goes too


class ConnectorError(Exception):
    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


class Connector(Protocol):
    """A system requests are carried out in. ``local`` connectors change this database: the
    step runner calls them inside the transaction that records the step done, so their work
    and its record commit together."""

    local: bool

    def retrieve(self, person: Person) -> Retrieved: ...

    def erase(self, person: Person) -> Erased: ...

    def restrict(self, person: Person) -> None: ...

    def lift(self, person: Person) -> bool:
        """Lift the restriction a ``restrict`` placed; False when the system keeps it (the law
        holds the data)."""
        ...

    def rectify(self, person: Person, fields: Mapping[str, str]) -> None:
        """Correct the person's data: ``fields`` are the corrected values, by field name."""
        ...
