"""Request and response bodies of the API. Unknown keys in a request are rejected."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

# Python's JSON reader accepts "\ud800" (and raw CESU-8 bytes) and gives a string holding a lone
# UTF-16 surrogate, which no UTF-8 encoder, so no cipher and no database, can take.
_SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATE_ERROR = "string_surrogate"


def _surrogate_error() -> PydanticCustomError:
    return PydanticCustomError(SURROGATE_ERROR, "text holds a lone surrogate")


def _plain(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    if _SURROGATE.search(value):
        raise _surrogate_error()
    return value


# Every string a caller sends: a NUL byte is never meaningful and PostgreSQL refuses it.
Text = Annotated[str, AfterValidator(_plain)]
# A field's name, as a key of ``fields``: errors name it, so it is kept short.
FieldName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_plain)]


def _surrogates(data: Any) -> Iterator[InitErrorDetails]:
    """Where in a request body (keys too) a text holds a lone surrogate. A loop, not recursion:
    a body of 64 KiB can nest deeper than Python's stack allows."""
    todo: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    while todo:
        loc, value = todo.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                yield InitErrorDetails(type=_surrogate_error(), loc=loc, input="")
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and _SURROGATE.search(key):
                    # Named as pydantic names a bad key; the key itself cannot be shown.
                    shown = _SURROGATE.sub("\ufffd", key)
                    yield InitErrorDetails(
                        type=_surrogate_error(), loc=(*loc, shown, "[key]"), input=""
                    )
                else:
                    todo.append(((*loc, key), item))
        elif isinstance(value, list):
            todo.extend(((*loc, i), item) for i, item in enumerate(value))


class In(Schema):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="wrap")
    @classmethod
    def _readable_text(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """A lone surrogate anywhere in the body is refused before any field is looked at, with
        its place named, whatever type the schema gives that place."""
        errors = sorted(_surrogates(data), key=lambda e: [str(p) for p in e["loc"]])
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return handler(data)


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


class SoftOptInIn(In):
    """Telecommunicatiewet 11.7 lid 3: mail an existing customer about similar products of your
    own without consent. Both conditions must be true, or it is refused."""

    purpose: Text = Field(max_length=64)
    similar_products: StrictBool = Field(
        description="the messages are about products or services like those the customer bought"
    )
    opt_out_offered: StrictBool = Field(
        description="the customer could refuse these messages when the address was collected"
    )


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


class MailEventIn(In):
    """A bounce or complaint about a campaign message, named by the Message-ID it quotes."""

    message_id: Text = Field(max_length=300)
    kind: Literal["hard_bounce", "soft_bounce", "complaint"]
    # The enhanced status code only (RFC 3463, "5.1.1"): a diagnostic text can quote the address.
    status: str = Field(default="", pattern=r"^[245]\.\d{1,3}\.\d{1,3}$")


class MailEventOut(Schema):
    kind: str
    recorded_at: datetime


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
