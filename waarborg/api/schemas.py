"""Request and response bodies of the API. Unknown keys in a request are rejected."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field


class In(Schema):
    model_config = ConfigDict(extra="forbid")


class SubjectCreate(In):
    product: str = Field(max_length=64)
    fields: dict[str, str | None] = Field(max_length=50)
    accepted_policy_version: str | None = Field(default=None, max_length=64)


class SubjectPatch(In):
    fields: dict[str, str | None] = Field(max_length=50)


class GateCheckIn(In):
    subject: UUID
    purpose: str = Field(max_length=64)


class ConsentIn(In):
    purpose: str = Field(max_length=64)
    granted: bool
    text_version: str = Field(min_length=1, max_length=64)
    channel: str = Field(max_length=16)


class ObjectionIn(In):
    purpose: str = Field(max_length=64)
    note: str = Field(default="", max_length=2000)


class Created(Schema):
    id: UUID


class SubjectOut(Schema):
    id: UUID
    purpose: str
    fields: dict[str, str]


class SubjectList(Schema):
    subjects: list[SubjectOut]


class Decision(Schema):
    allowed: bool
    fields: list[str]
    reason: str | None


class StateOut(Schema):
    purpose: str
    consent: str
    objected: bool


class EventOut(Schema):
    purpose: str
    kind: str
    at: str
    text_version: str
    channel: str
    source: str
    policy_version: str


class EventList(Schema):
    events: list[EventOut]


class PolicyOut(Schema):
    version: str
    policy: dict[str, Any]


class Error(Schema):
    code: str
    message: str
    fields: dict[str, str] | None = None


class Refusal(Schema):
    refused: str
    message: str
