"""Request and response bodies of the API. Unknown keys in a request are rejected."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, StrictBool, StringConstraints


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


# Every string a caller sends: a NUL byte is never meaningful and PostgreSQL refuses it.
Text = Annotated[str, AfterValidator(_no_nul)]
# A field's name, as a key of ``fields``: errors name it, so it is kept short.
FieldName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_no_nul)]


class In(Schema):
    model_config = ConfigDict(extra="forbid")


class SubjectCreate(In):
    product: Text = Field(max_length=64)
    fields: dict[FieldName, Text | None] = Field(max_length=50)
    accepted_policy_version: Text | None = Field(default=None, max_length=64)


class SubjectPatch(In):
    fields: dict[FieldName, Text | None] = Field(max_length=50)


class GateCheckIn(In):
    subject: UUID
    purpose: Text = Field(max_length=64)


class ConsentIn(In):
    purpose: Text = Field(max_length=64)
    granted: StrictBool  # "yes" or 1 is not consent
    text_version: Text = Field(min_length=1, max_length=64)
    channel: Text = Field(max_length=16)


class AcceptanceIn(In):
    version: Text = Field(
        min_length=12, max_length=64, description="the version's hash, or its first 12 characters"
    )


class AcceptanceOut(Schema):
    version: str
    accepted_at: str


class LookupIn(In):
    email: Text = Field(max_length=320)
    purpose: Text = Field(max_length=64)


class ConsentConfirmIn(In):
    purpose: Text = Field(max_length=64)
    code: Text = Field(max_length=64, description="the single-use code of the confirmation link")


class ObjectionIn(In):
    """No free text: a note about a person would be personal data outside the vault."""

    purpose: Text = Field(max_length=64)


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
    # A grant under double opt-in: put this code in the link you e-mail the person (shown once).
    confirmation_code: str | None = None


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
    code: str
    refused: str
    message: str
