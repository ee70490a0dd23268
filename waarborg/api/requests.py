"""``/api/v1/requests``: a product back end files a data-subject request for a person and follows
its state. Thin: parse, call one rights service, answer. A token needs the ``rights`` purpose."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from waarborg.api import schemas as s
from waarborg.api.auth import request_actor
from waarborg.core.i18n import current_language
from waarborg.rights import selectors
from waarborg.rights.errors import not_found
from waarborg.rights.services import request_file, rights_scope_check

router = Router(tags=["requests"])
ERRORS: dict[int, Any] = {
    403: s.Error,
    404: s.Error,
    400: s.Error,
    401: s.Error,
    413: s.Error,
    422: s.Error,
    429: s.Error,
}


class RequestIn(s.In):
    kinds: list[s.Text] = Field(min_length=1, max_length=7)
    email: s.Text = Field(max_length=320)
    language: Literal["nl", "en"] | None = None
    explanation: s.Text = Field(default="", max_length=5000)


class RequestOut(Schema):
    reference: str
    status: str
    kinds: list[str]
    received_at: str
    due: str
    extended_until: str | None
    days_left: int


def _state(reference: str) -> dict[str, Any]:
    state = selectors.request_state(reference)
    if state is None:
        raise not_found()
    return {
        "reference": state.reference,
        "status": state.status,
        "kinds": state.kinds,
        "received_at": state.received_at.isoformat(),
        "due": state.due.isoformat(),
        "extended_until": state.extended_until.isoformat() if state.extended_until else None,
        "days_left": state.days_left,
    }


@router.post("/requests", response={201: RequestOut, **ERRORS})
def request_create(request: HttpRequest, payload: RequestIn) -> Status[dict[str, Any]]:
    """File a request for the person with this e-mail address. The answer is the same whether or
    not the address is on file; the person gets a mail (with a confirmation link if it is)."""
    filed = request_file(
        kinds=payload.kinds,
        email=payload.email,
        language=payload.language or current_language(),
        channel="api",
        explanation=payload.explanation,
        actor=request_actor(request),
    )
    return Status(201, _state(filed.reference))


@router.get("/requests/{reference}", response={200: RequestOut, **ERRORS})
def request_read(request: HttpRequest, reference: str) -> dict[str, Any]:
    """A request's state, deadline and days left (negative: late); no personal data."""
    rights_scope_check(actor=request_actor(request))
    return _state(reference[:32])
