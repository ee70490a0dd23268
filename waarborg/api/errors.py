"""How the API answers what it cannot do: JSON with a stable ``code`` and a ``message`` (and per
field ``fields``) in the language of the request, never a stack trace."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from waarborg.api.schemas import SURROGATE_ERROR
from waarborg.core import outage
from waarborg.core.errors import Refusal, Text

logger = logging.getLogger("waarborg.api")

# A refusal's code decides the status; any other refusal is a 422 (the request cannot be done).
STATUS = {
    "not_found": 404,
    "erased": 409,
    "restricted": 409,
    "nothing_pending": 409,
    "email_taken": 409,
    "soft_optin_opted_out": 409,
    "role_not_permitted": 403,
    "scope_not_permitted": 403,
    "aggregate_only": 403,
    # data-subject requests (waarborg.rights)
    "request_closed": 409,
    "already_extended": 409,
    "too_late": 409,
    "not_unclear": 409,
    "rate_limited": 429,
}

# Pydantic's error types, as a person reads them; the rest fall back to "This value is not valid."
PYDANTIC: dict[str, Text] = {
    "extra_forbidden": _("This field is unknown."),
    "missing": _("This field is missing."),
    "string_too_long": _("This value is too long."),
    "string_too_short": _("This value is too short."),
    "string_type": _("This must be text."),
    "bool_type": _("This must be true or false."),
    "bool_parsing": _("This must be true or false."),
    "uuid_parsing": _("This is not a valid id."),
    "uuid_type": _("This is not a valid id."),
    "dict_type": _("This must be an object."),
    "too_long": _("This holds too many items."),
    "json_invalid": _("This is not valid JSON."),
    # A lone UTF-16 surrogate ("\\ud800"): valid JSON escape, but no text anyone can store.
    SURROGATE_ERROR: _("This text contains an invalid character (a lone surrogate)."),
    "string_unicode": _("This text contains an invalid character (a lone surrogate)."),
    "model_attributes_type": _("This must be an object."),
}
INVALID_VALUE = _("This value is not valid.")


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: Text,
    fields: dict[str, Text] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": str(message)}
    if fields:
        body["fields"] = {k: str(v) for k, v in sorted(fields.items())}
    return api.create_response(request, body, status=status)


# Characters a reader cannot see or a JSON encoder cannot write: controls and lone surrogates.
_UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _part(part: object) -> str:
    text = _UNSHOWABLE.sub("\ufffd", str(part))
    return text if len(text) <= 64 else text[:32] + "..."


def _location(err: dict[str, Any]) -> str:
    # A location can hold what was sent (a dict key): cut long parts short, unreadable ones shown
    # as U+FFFD.
    loc = [_part(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
    return ".".join(loc) or "request"


def install_handlers(api: NinjaAPI) -> None:
    """Register the API's error answers on ``api``."""

    @api.exception_handler(Refusal)
    def refused(request: HttpRequest, exc: Refusal) -> HttpResponse:
        status = STATUS.get(exc.code, 422)
        return error_response(api, request, status, exc.code, exc.message, exc.fields)

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = {
            _location(err): PYDANTIC.get(str(err.get("type")), INVALID_VALUE) for err in exc.errors
        }
        message = _("The request is not valid.")
        return error_response(api, request, 422, "invalid_request", message, fields)

    @api.exception_handler(AuthenticationError)
    def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = _("Send a valid API token: Authorization: Bearer <token>.")
        return error_response(api, request, 401, "unauthorized", message)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 429:
            message = _("Too many requests; try again later.")
            return error_response(api, request, 429, "rate_limited", message)
        message = _("The request cannot be handled.")
        return error_response(api, request, exc.status_code, "bad_request", message)

    @api.exception_handler(OperationalError)
    @api.exception_handler(InterfaceError)
    def database_down(request: HttpRequest, exc: Exception) -> HttpResponse:
        """The database cannot be reached: the transaction was rolled back; try again later."""
        logger.warning("database unavailable in %s %s: %s", request.method, request.path, exc)
        response = error_response(api, request, 503, outage.CODE, outage.MESSAGE)
        response["Retry-After"] = str(outage.RETRY_AFTER)
        return response

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        """Last resort: nothing was committed (each service is one transaction); say so."""
        logger.exception("unexpected error in %s %s", request.method, request.path)
        message = _("Something went wrong on our side; nothing was stored.")
        return error_response(api, request, 500, "server_error", message)
