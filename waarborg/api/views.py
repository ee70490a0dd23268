"""The JSON API for CMS's product back ends. Thin: parse, call one service, shape the answer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Query, Router, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from pydantic import Field

from waarborg.access.selectors import system_for_token
from waarborg.api import schemas as s
from waarborg.api.throttle import TokenRateThrottle
from waarborg.audit.services import audit_record
from waarborg.core.actors import Actor, Message
from waarborg.gate.services import (
    REASONS,
    Allowed,
    gate_check,
    gate_fields,
    gate_purpose_refusal,
    gate_write,
)
from waarborg.policy.schema import Purpose
from waarborg.policy.selectors import policy_current
from waarborg.vault import lookup, services
from waarborg.vault.models import PurposeState
from waarborg.vault.validation import InvalidFields

logger = logging.getLogger("waarborg.api")


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        return system_for_token(token)


def _lang(request: HttpRequest) -> str:
    return "en" if getattr(request, "LANGUAGE_CODE", "nl").startswith("en") else "nl"


api = NinjaAPI(
    title="waarborg API",
    version="1",
    description="Register customers, record consent and objections, and ask the purpose gate.",
    auth=TokenAuth(),
    throttle=[TokenRateThrottle(settings.WAARBORG_API_RATE)],
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
v1 = Router(tags=["v1"])

COMMON: dict[int, Any] = {400: s.Error, 401: s.Error, 413: s.Error, 422: s.Error, 429: s.Error}


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: Message, fields: dict[str, Message] | None = None
    ):
        super().__init__(code)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


def _error(
    request: HttpRequest,
    status: int,
    code: str,
    message: Message,
    fields: dict[str, Message] | None = None,
) -> HttpResponse:
    lang = _lang(request)
    body: dict[str, Any] = {"code": code, "message": message.get(lang)}
    if fields:
        body["fields"] = {k: v.get(lang) for k, v in sorted(fields.items())}
    return api.create_response(request, body, status=status)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return _error(request, exc.status, exc.code, exc.message, exc.fields)


@api.exception_handler(InvalidFields)
def _invalid_fields(request: HttpRequest, exc: InvalidFields) -> HttpResponse:
    message = Message("Een of meer gegevens kloppen niet.", "One or more fields are not valid.")
    return _error(request, 422, "invalid_fields", message, exc.errors)


_VAULT_STATUS = {
    "nothing_pending": 409,
    "not_found": 404,
    "erased": 409,
    "restricted": 409,
    "unknown_purpose": 422,
    "role_not_permitted": 403,
}


@api.exception_handler(services.VaultError)
def _vault_error(request: HttpRequest, exc: services.VaultError) -> HttpResponse:
    """A write the vault refused (unknown or erased subject, bad channel, ...): nothing changed,
    so no service wrote an entry; the refusal is audited here, as the gate audits its own."""
    actor = getattr(request, "auth", None)
    if isinstance(actor, Actor):
        match = request.resolver_match
        raw = str(match.kwargs.get("subject_id", "")) if match else ""
        try:
            subject_id: UUID | None = UUID(raw)
        except ValueError:
            subject_id = None
        audit_record(
            actor=actor,
            action="api.refused",
            subject_id=subject_id,
            decision="refused",
            reason=exc.code,
            detail={"operation": (match.url_name or "") if match else ""},
        )
    return _error(request, _VAULT_STATUS.get(exc.code, 422), exc.code, exc.message)


_PYDANTIC_NL = {
    "extra_forbidden": "Dit veld is onbekend.",
    "missing": "Dit veld ontbreekt.",
    "string_too_long": "Deze waarde is te lang.",
    "string_too_short": "Deze waarde is te kort.",
    "string_type": "Dit moet tekst zijn.",
    "bool_type": "Dit moet true of false zijn.",
    "bool_parsing": "Dit moet true of false zijn.",
    "uuid_parsing": "Dit is geen geldige id.",
    "uuid_type": "Dit is geen geldige id.",
    "dict_type": "Dit moet een object zijn.",
    "too_long": "Dit bevat te veel onderdelen.",
    "json_invalid": "Dit is geen geldige JSON.",
    "model_attributes_type": "Dit moet een object zijn.",
    "value_error": "Deze waarde is ongeldig.",
}


@api.exception_handler(ValidationError)
def _invalid_request(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, Message] = {}
    for err in exc.errors:
        # A location can hold what was sent (a dict key): cut long parts short.
        loc = [
            str(p) if len(str(p)) <= 64 else str(p)[:32] + "..."
            for p in err.get("loc", [])
            if p not in ("body", "payload", "query", "path")
        ]
        where = ".".join(loc) or "request"
        text = str(err.get("msg", "invalid"))
        fields[where] = Message(_PYDANTIC_NL.get(str(err.get("type")), f"Ongeldig: {text}"), text)
    message = Message("Het verzoek klopt niet.", "The request is not valid.")
    return _error(request, 422, "invalid_request", message, fields)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Last resort: nothing was committed (each service is one transaction); say so in JSON."""
    logger.exception("unexpected error in %s %s", request.method, request.path)
    message = Message(
        "Er ging iets mis aan onze kant; er is niets opgeslagen.",
        "Something went wrong on our side; nothing was stored.",
    )
    return _error(request, 500, "server_error", message)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = Message(
        "Geef een geldig API-token mee: Authorization: Bearer <token>.",
        "Send a valid API token: Authorization: Bearer <token>.",
    )
    return _error(request, 401, "unauthorized", message)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 429:
        message = Message(
            "Te veel verzoeken; probeer het later opnieuw.", "Too many requests; try again later."
        )
        return _error(request, 429, "rate_limited", message)
    message = Message("Het verzoek kan niet worden verwerkt.", "The request cannot be handled.")
    return _error(request, exc.status_code, "bad_request", message)


def _actor(request: HttpRequest) -> Actor:
    auth = request.auth  # type: ignore[attr-defined]
    assert isinstance(auth, Actor)
    return auth


_NOT_WRITABLE = Message(
    "Geen doeleinde van dit systeem dekt dit veld.",
    "None of this system's purposes covers this field.",
)


def _require_writable(
    actor: Actor, action: str, subject_id: UUID | None, fields: dict[str, str | None]
) -> None:
    outside = gate_write(actor=actor, action=action, subject_id=subject_id, fields=fields)
    if outside:
        raise ApiError(
            403,
            "scope_not_permitted",
            REASONS["scope_not_permitted"],
            dict.fromkeys(outside, _NOT_WRITABLE),
        )


def _require_scope(actor: Actor, purpose: str) -> None:
    if purpose not in policy_current().policy.purposes:
        raise ApiError(422, "unknown_purpose", REASONS["unknown_purpose"])
    if purpose not in actor.scopes:
        raise ApiError(403, "scope_not_permitted", REASONS["scope_not_permitted"])


def _refusal(request: HttpRequest, reason: str) -> Status[dict[str, str]]:
    status = 404 if reason == "not_found" else 403
    message = REASONS[reason].get(_lang(request))
    return Status(status, {"code": reason, "refused": reason, "message": message})


class PurposeQuery(Schema):
    purpose: s.Text = Field(max_length=64)


class LookupQuery(Schema):
    email: s.Text = Field(max_length=320)
    purpose: s.Text = Field(max_length=64)


@v1.post("/subjects", response={201: s.Created, 403: s.Error, 404: s.Error, 409: s.Error, **COMMON})
def subject_create(request: HttpRequest, payload: s.SubjectCreate) -> Status[dict[str, UUID]]:
    actor = _actor(request)
    _require_scope(actor, "administration")
    _require_writable(actor, "subject.create", None, payload.fields)
    subject = services.subject_create(
        actor=actor,
        product=payload.product,
        fields=payload.fields,
        accepted_policy_version=payload.accepted_policy_version,
    )
    return Status(201, {"id": subject.id})


@v1.patch(
    "/subjects/{subject_id}",
    response={200: s.Created, 403: s.Error, 404: s.Error, 409: s.Error, **COMMON},
)
def subject_update(
    request: HttpRequest, subject_id: UUID, payload: s.SubjectPatch
) -> dict[str, UUID]:
    actor = _actor(request)
    _require_scope(actor, "administration")
    _require_writable(actor, "subject.update", subject_id, payload.fields)
    subject = services.subject_update(actor=actor, subject_id=subject_id, fields=payload.fields)
    return {"id": subject.id}


@v1.get(
    "/subjects/{subject_id}", response={200: s.SubjectOut, 403: s.Refusal, 404: s.Refusal, **COMMON}
)
def subject_read(request: HttpRequest, subject_id: UUID, query: Query[PurposeQuery]) -> Any:
    result = gate_fields(actor=_actor(request), purpose=query.purpose, subject=subject_id)
    if not isinstance(result, Allowed):
        return _refusal(request, result.reason)
    return {"id": subject_id, "purpose": query.purpose, "fields": result.fields}


@v1.get("/subjects", response={200: s.SubjectList, 403: s.Refusal, 404: s.Refusal, **COMMON})
def subject_lookup(request: HttpRequest, query: Query[LookupQuery]) -> Any:
    """Every refusal that depends on the person (no consent, objected, restricted, ...) answers
    404 like an unknown address: otherwise any e-mail address could be tested for being a
    customer. The gate still records each refusal with its reason."""
    actor = _actor(request)
    # Decided before the lookup, so a refused caller learns nothing about who exists.
    refusal = gate_purpose_refusal(actor=actor, purpose=query.purpose)
    matches = [] if refusal else lookup.subject_ids_by_email(query.email)
    # Every lookup is audited, a refused one and a miss too: probing leaves a trace.
    audit_record(
        actor=actor,
        action="subject.lookup",
        purpose=query.purpose,
        decision="refused" if refusal else "allowed",
        reason=refusal,
        detail={"matches": len(matches)},
    )
    if refusal:
        return _refusal(request, refusal)
    found = []
    for subject_id in matches:
        result = gate_fields(actor=actor, purpose=query.purpose, subject=subject_id)
        if isinstance(result, Allowed):
            found.append({"id": subject_id, "purpose": query.purpose, "fields": result.fields})
    if not found:
        return _refusal(request, "not_found")
    return {"subjects": found}


@v1.post("/gate/check", response={200: s.Decision, **COMMON})
def gate_check_view(request: HttpRequest, payload: s.GateCheckIn) -> dict[str, Any]:
    decision = gate_check(actor=_actor(request), purpose=payload.purpose, subject=payload.subject)
    return {
        "allowed": decision.allowed,
        "fields": decision.fields,
        "reason": decision.reason or None,
    }


def _actor_for_subject(request: HttpRequest, subject_id: UUID, purpose: str, action: str) -> Actor:
    """The caller, when its scope covers ``purpose`` and the subject exists. Asking about a
    subject that does not exist is audited too."""
    actor = _actor(request)
    _require_scope(actor, purpose)
    if not lookup.subject_exists(subject_id):
        audit_record(
            actor=actor,
            action=action,
            subject_id=subject_id,
            purpose=purpose,
            decision="refused",
            reason="not_found",
        )
        raise ApiError(404, "not_found", REASONS["not_found"])
    return actor


def _state_body(state: PurposeState) -> dict[str, Any]:
    return {"purpose": state.purpose, "consent": state.consent, "objected": state.objected}


@v1.post(
    "/subjects/{subject_id}/consents",
    response={201: s.StateOut, 403: s.Error, 404: s.Error, 409: s.Error, **COMMON},
)
def consent_create(request: HttpRequest, subject_id: UUID, payload: s.ConsentIn) -> Any:
    action = f"consent.{'grant' if payload.granted else 'withdraw'}"
    actor = _actor_for_subject(request, subject_id, payload.purpose, action)
    state = services.consent_record(
        actor=actor,
        subject_id=subject_id,
        purpose=payload.purpose,
        granted=payload.granted,
        text_version=payload.text_version,
        channel=payload.channel,
    )
    return Status(201, _state_body(state))


@v1.post(
    "/subjects/{subject_id}/consents/confirm",
    response={200: s.StateOut, 403: s.Error, 404: s.Error, 409: s.Error, **COMMON},
)
def consent_confirm(request: HttpRequest, subject_id: UUID, payload: s.ConsentConfirmIn) -> Any:
    """Double opt-in, step two: call this when the subject opens the link you e-mailed them."""
    actor = _actor_for_subject(request, subject_id, payload.purpose, "consent.confirm")
    state = services.consent_confirm(actor=actor, subject_id=subject_id, purpose=payload.purpose)
    return _state_body(state)


@v1.post(
    "/subjects/{subject_id}/objections",
    response={201: s.StateOut, 403: s.Error, 404: s.Error, 409: s.Error, **COMMON},
)
def objection_create(request: HttpRequest, subject_id: UUID, payload: s.ObjectionIn) -> Any:
    actor = _actor_for_subject(request, subject_id, payload.purpose, "objection.record")
    state = services.objection_record(actor=actor, subject_id=subject_id, purpose=payload.purpose)
    return Status(201, _state_body(state))


def _consent_purposes(spec: Purpose) -> bool:
    return spec.basis == "consent"


def _objectable_purposes(spec: Purpose) -> bool:
    return spec.objectable


def _events(
    request: HttpRequest,
    subject_id: UUID,
    kinds: set[str],
    action: str,
    concerns: Callable[[Purpose], bool],
) -> Any:
    """A subject's ledger for the purposes in the token's scope that it concerns. Like a gate
    read: refused without such a purpose (before the subject is looked up), for an erased or
    restricted subject, and audited whatever the answer, so probing leaves a trace."""
    actor = _actor(request)
    purposes = {
        p
        for p, spec in policy_current().policy.purposes.items()
        if concerns(spec) and not spec.aggregate_only  # never one person's data for those
    }
    scoped = sorted(purposes & set(actor.scopes))
    standing = lookup.subject_standing(subject_id) if scoped else None
    reason = "scope_not_permitted" if not scoped else "not_found" if standing is None else standing
    audit_record(
        actor=actor,
        action=action,
        subject_id=subject_id,
        decision="refused" if reason else "allowed",
        reason=reason,
        detail={"purposes": scoped},
    )
    if reason:
        return _refusal(request, reason)
    events = [e for e in lookup.purpose_events(subject_id, purposes=set(scoped)) if e.kind in kinds]
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


@v1.get(
    "/subjects/{subject_id}/consents",
    response={200: s.EventList, 403: s.Refusal, 404: s.Refusal, **COMMON},
)
def consent_list(request: HttpRequest, subject_id: UUID) -> Any:
    kinds = {"consent_given", "consent_confirmed", "consent_withdrawn"}
    return _events(request, subject_id, kinds, "consent.list", _consent_purposes)


@v1.get(
    "/subjects/{subject_id}/objections",
    response={200: s.EventList, 403: s.Refusal, 404: s.Refusal, **COMMON},
)
def objection_list(request: HttpRequest, subject_id: UUID) -> Any:
    kinds = {"objected", "grounds_recorded"}
    return _events(request, subject_id, kinds, "objection.list", _objectable_purposes)


@v1.get("/policy", response={200: s.PolicyOut, **COMMON})
def policy_view(request: HttpRequest) -> dict[str, Any]:
    loaded = policy_current()
    return {"version": loaded.digest, "policy": loaded.document}


@v1.get("/ping", auth=None, throttle=[], response={200: dict[str, str]}, include_in_schema=False)
def ping(request: HttpRequest) -> dict[str, str]:
    """A bare endpoint returning a constant: the baseline for API benchmarks."""
    return {"ok": "yes"}


api.add_router("/v1", v1)
