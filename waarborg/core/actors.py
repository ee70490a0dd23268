"""Who is acting: a staff user, an API system, the data subject or a background job."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ActorKind = Literal["staff", "system", "subject", "job"]


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    name: str
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"

    @classmethod
    def job(cls, name: str) -> Actor:
        return cls(kind="job", name=name)
