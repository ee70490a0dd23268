"""The JSON API for CMS's product back ends. Thin: parse, call one gate service, answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path
from ninja import NinjaAPI, Query, Router, Schema, Status
from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from waarborg.access.selectors import system_for_token
from waarborg.api import schemas as s
from waarborg.api.auth import request_actor
from waarborg.api.errors import install_handlers
from waarborg.api.invoices import router as invoices_router
from waarborg.api.requests import router as requests_router
from waarborg.api.throttle import ClientLimitedBearer, TokenRateThrottle
from waarborg.campaigns.services import mail_event_report
from waarborg.consent.optin import soft_optin_record
from waarborg.core.actors import Actor
from waarborg.gate.ledger import gate_ledger
from waarborg.gate.lookup import gate_lookup
from waarborg.gate.services import Refused, gate_check, gate_fields
from waarborg.gate.writes import (
    gate_consent_confirm,
    gate_consent_record,
    gate_objection_record,
    gate_policy_accept,
    gate_subject_create,
    gate_subject_update,
)
from waarborg.policy.selectors import policy_current


class TokenAuth(ClientLimitedBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        return system_for_token(token)


token_auth = TokenAuth()
token_rate = TokenRateThrottle(settings.WAARBORG_API_RATE)
api = NinjaAPI(
    title="waarborg API",
    version="1",
    description="Register customers, record consent and objections, and ask the purpose gate.",
    auth=token_auth,
    throttle=[token_rate],
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
install_handlers(api)
v1 = Router(tags=["v1"])

COMMON: dict[int, Any] = {400: s.Error, 401: s.Error, 413: s.Error, 422: s.Error, 429: s.Error}
WRITE: dict[int, Any] = {403: s.Error, 404: s.Error, 409: s.Error, **COMMON}
READ: dict[int, Any] = {403: s.Refusal, 404: s.Refusal, **COMMON}


def _refusal(refused: Refused) -> Status[dict[str, str]]:
    message = str(refused.message)
    body = {"code": refused.reason, "refused": refused.reason, "message": message}
    # A read refused about the person is a 403 (a 404 when there is no such person).
    return Status(404 if refused.reason == "not_found" else 403, body)


class PurposeQuery(Schema):
    purpose: s.Text = Field(max_length=64)


class LookupQuery(Schema):
    email: s.Text = Field(max_length=320)
    purpose: s.Text = Field(max_length=64)


@v1.post("/subjects", response={201: s.Created, **WRITE})
def subject_create(request: HttpRequest, payload: s.SubjectCreate) -> Status[dict[str, UUID]]:
    subject = gate_subject_create(
        actor=request_actor(request),
        product=payload.product,
        fields=payload.fields,
        accepted=payload.accepted_policy_version,
    )
    return Status(201, {"id": subject.id})


# Before the routes with {subject_id}: "lookup" must not be read as an id.
def _lookup(request: HttpRequest, email: str, purpose: str) -> Any:
    found = gate_lookup(actor=request_actor(request), purpose=purpose, email=email)
    if isinstance(found, Refused):
        return _refusal(found)
    return {"subjects": [{"id": m.id, "purpose": m.purpose, "fields": m.fields} for m in found]}


@v1.get("/subjects", response={200: s.SubjectList, **READ})
def subject_lookup(request: HttpRequest, query: Query[LookupQuery]) -> Any:
    """Find by e-mail address. A refusal that depends on the person answers 404 like an unknown
    address, so a lookup cannot test whether someone is a customer. Prefer the POST form: an
    address in a URL ends up in access logs."""
    return _lookup(request, query.email, query.purpose)


@v1.post("/subjects/lookup", response={200: s.SubjectList, **READ})
def subject_lookup_post(request: HttpRequest, payload: s.LookupIn) -> Any:
    """Find by e-mail address, with the address in the body (kept out of access logs)."""
    return _lookup(request, payload.email, payload.purpose)


@v1.patch("/subjects/{subject_id}", response={200: s.Created, **WRITE})
def subject_update(
    request: HttpRequest, subject_id: UUID, payload: s.SubjectPatch
) -> dict[str, UUID]:
    actor = request_actor(request)
    subject = gate_subject_update(actor=actor, subject_id=subject_id, fields=payload.fields)
    return {"id": subject.id}


@v1.get("/subjects/{subject_id}", response={200: s.SubjectOut, **READ})
def subject_read(request: HttpRequest, subject_id: UUID, query: Query[PurposeQuery]) -> Any:
    result = gate_fields(actor=request_actor(request), purpose=query.purpose, subject=subject_id)
    if isinstance(result, Refused):
        return _refusal(result)
    return _json(200, {"id": str(subject_id), "purpose": query.purpose, "fields": result.fields})


def _json(status: int, body: dict[str, Any]) -> HttpResponse:
    """The busiest read's answer, written as SubjectOut (or Refusal) without validating our own
    strings again (the schemas stay in the OpenAPI document; the API tests check the shapes)."""
    return HttpResponse(
        json.dumps(body), status=status, content_type="application/json; charset=utf-8"
    )


def _read_quickly(request: HttpRequest, subject_id: str) -> HttpResponse | None:
    """``GET /api/v1/subjects/{id}?purpose=...`` in its plain case, without ninja's work per
    request (a third of what the API added to the gate's own work, measured in-process): a well
    formed id, a token this process already knows (ClientLimitedBearer's own shortcut), the
    token within its rate (the same counter), one purpose that PurposeQuery accepts. Then the
    same gate call and the same answers as ``subject_read``. Anything else gives None before the
    gate is asked, and ninja handles the request in full, so every error answer stays ninja's."""
    purposes = request.GET.getlist("purpose")
    actor = token_auth.known(request)
    if actor is None or len(purposes) != 1:
        return None
    try:
        subject = UUID(subject_id)
        purpose = PurposeQuery.model_validate({"purpose": purposes[0]}).purpose
    except (ValueError, PydanticValidationError):
        return None
    if str(subject) != subject_id:  # only the form every client sends; ninja reads the others
        return None
    request.auth = actor  # type: ignore[attr-defined]
    if not token_rate.allow_request(request):
        return None  # ninja counts it again and answers 429
    try:
        result = gate_fields(actor=actor, purpose=purpose, subject=subject)
    except Exception as exc:  # answered by the API's own handlers, as in ninja
        return api.on_exception(request, exc)
    if isinstance(result, Refused):
        refusal = _refusal(result)
        return _json(refusal.status_code, refusal.value)
    return _json(200, {"id": subject_id, "purpose": purpose, "fields": result.fields})


def _quickly(ninja_view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def view(request: HttpRequest, subject_id: str) -> HttpResponse:
        if request.method == "GET":
            answer = _read_quickly(request, subject_id)
            if answer is not None:
                return answer
        return ninja_view(request, subject_id=subject_id)

    view.csrf_exempt = True  # type: ignore[attr-defined] # as every ninja view
    return view


@v1.post("/gate/check", response={200: s.Decision, **COMMON})
def gate_check_view(request: HttpRequest, payload: s.GateCheckIn) -> dict[str, Any]:
    decision = gate_check(
        actor=request_actor(request), purpose=payload.purpose, subject=payload.subject
    )
    return {
        "allowed": decision.allowed,
        "fields": decision.fields,
        "reason": decision.reason or None,
    }


def _state_body(state: Any) -> dict[str, Any]:
    body = {"purpose": state.purpose, "consent": state.consent, "objected": state.objected}
    return {**body, "confirmation_code": state.confirmation_code or None}


@v1.post("/subjects/{subject_id}/consents", response={201: s.StateOut, **WRITE})
def consent_create(request: HttpRequest, subject_id: UUID, payload: s.ConsentIn) -> Any:
    state = gate_consent_record(
        actor=request_actor(request),
        subject_id=subject_id,
        purpose=payload.purpose,
        granted=payload.granted,
        text_version=payload.text_version,
        channel=payload.channel,
    )
    return Status(201, _state_body(state))


@v1.post("/subjects/{subject_id}/consents/confirm", response={200: s.StateOut, **WRITE})
def consent_confirm(request: HttpRequest, subject_id: UUID, payload: s.ConsentConfirmIn) -> Any:
    """Double opt-in, step two: call this when the person opens the link you e-mailed them,
    with the code that link carries (given when the consent was recorded)."""
    actor = request_actor(request)
    purpose, code = payload.purpose, payload.code
    state = gate_consent_confirm(actor=actor, subject_id=subject_id, purpose=purpose, code=code)
    return _state_body(state)


@v1.post("/subjects/{subject_id}/soft-opt-ins", response={201: s.StateOut, **WRITE})
def soft_optin_create(request: HttpRequest, subject_id: UUID, payload: s.SoftOptInIn) -> Any:
    """Soft opt-in (Tw 11.7 lid 3), recorded as such: only for an existing customer, only for
    similar products, only when the opt-out was offered at collection; a person who refused
    before stays refused. Every message must still carry the unsubscribe link."""
    consent = soft_optin_record(
        actor=request_actor(request),
        subject_id=subject_id,
        purpose=payload.purpose,
        similar_products=payload.similar_products,
        opt_out_offered=payload.opt_out_offered,
    )
    body = {"purpose": payload.purpose, "consent": consent, "objected": False}
    return Status(201, body)


@v1.post("/subjects/{subject_id}/objections", response={201: s.StateOut, **WRITE})
def objection_create(request: HttpRequest, subject_id: UUID, payload: s.ObjectionIn) -> Any:
    actor = request_actor(request)
    state = gate_objection_record(actor=actor, subject_id=subject_id, purpose=payload.purpose)
    return Status(201, _state_body(state))


@v1.post("/subjects/{subject_id}/acceptances", response={201: s.AcceptanceOut, **WRITE})
def acceptance_create(request: HttpRequest, subject_id: UUID, payload: s.AcceptanceIn) -> Any:
    """The person accepted this version of the privacy statement (C1), e.g. when asked again
    after it changed."""
    actor = request_actor(request)
    accepted = gate_policy_accept(actor=actor, subject_id=subject_id, version=payload.version)
    body = {"version": accepted.policy_digest, "accepted_at": accepted.accepted_at.isoformat()}
    return Status(201, body)


def _events(request: HttpRequest, subject_id: UUID, ledger: Any) -> Any:
    events = gate_ledger(actor=request_actor(request), subject_id=subject_id, ledger=ledger)
    if isinstance(events, Refused):
        return _refusal(events)
    return {
        "events": [
            {
                "purpose": e.purpose,
                "kind": e.kind,
                "at": e.at.isoformat(),
                "text_version": e.text_version,
                "channel": e.channel,
                "source": e.source,
                "policy_version": e.policy_digest[:12],
            }
            for e in events
        ]
    }


@v1.get("/subjects/{subject_id}/consents", response={200: s.EventList, **READ})
def consent_list(request: HttpRequest, subject_id: UUID) -> Any:
    return _events(request, subject_id, "consents")


@v1.get("/subjects/{subject_id}/objections", response={200: s.EventList, **READ})
def objection_list(request: HttpRequest, subject_id: UUID) -> Any:
    return _events(request, subject_id, "objections")


@v1.post("/mail-events", response={201: s.MailEventOut, **WRITE})
def mail_event_create(request: HttpRequest, payload: s.MailEventIn) -> Any:
    """A bounce or complaint about a campaign message (from the mail service's webhook). A hard
    bounce or a complaint stops all campaign mail to that address. The token needs the scope
    of the campaign's purpose (newsletter or offers)."""
    event = mail_event_report(
        actor=request_actor(request),
        message_id=payload.message_id,
        kind=payload.kind,
        detail=payload.status,
    )
    return Status(201, {"kind": event.kind, "recorded_at": event.recorded_at})


@v1.get("/policy", response={200: s.PolicyOut, **COMMON})
def policy_view(request: HttpRequest) -> dict[str, Any]:
    loaded = policy_current()
    return {"version": loaded.digest, "policy": loaded.document}


v1.add_router("", requests_router)
v1.add_router("", invoices_router)
api.add_router("/v1", v1)


def api_urls() -> tuple[list[Any], str, str]:
    """The API's URL table for ``waarborg.urls``: ninja's, with the subject read's quick path
    (``_read_quickly``) in front of the operations on ``/v1/subjects/{id}``."""
    patterns, app_name, namespace = api.urls
    route = "v1/subjects/<subject_id>"
    at = next(i for i, p in enumerate(patterns) if str(p.pattern) == route)
    ninja_view = patterns[at].callback
    assert ninja_view is not None
    quick = path(route, _quickly(ninja_view), name="subject_read_quick")
    return [*patterns[:at], quick, *patterns[at:]], app_name, namespace
