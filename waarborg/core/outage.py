"""When the database goes away: a 503 with ``Retry-After`` instead of a 500 with a stack trace.

Nothing is half-written: every service runs in one transaction, so a connection lost in the
middle is a rollback. Nothing stays broken either: Django opens a connection per request (and
drops one that failed at the request's end), so the first request after the database is back is
served again without a restart.

A view's error reaches ``process_exception``; an error raised in another middleware (a session
saved on the way out) has already become Django's 500 by the time it passes here, so a signal
marks that request and the 500 is turned into the same 503. The API catches its own errors before
any middleware sees them and answers with the same code and sentence (``waarborg.api.errors``)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from waarborg.core.i18n import request_language

logger = logging.getLogger("waarborg.outage")

CODE = "database_unavailable"
MESSAGE = _("The database cannot be reached right now; nothing was stored. Try again in a moment.")
RETRY_AFTER = 15  # seconds: a restart or a fail-over usually takes about that long
_MARK = "_waarborg_database_down"


def database_down(exc: BaseException | None) -> bool:
    """True for the errors of a database that cannot be reached (connection refused or lost)."""
    return isinstance(exc, OperationalError | InterfaceError)


def outage_response(request: HttpRequest) -> HttpResponse:
    """The 503 answer: JSON under ``/api/``, else a plain page that needs no database.

    The page is rendered without the request, so no context processor (the console's reads the
    signed-in user) touches the database."""
    with translation.override(request_language(request)):
        if request.path.startswith("/api/"):
            body = json.dumps({"code": CODE, "message": str(MESSAGE)})
            response = HttpResponse(body, status=503, content_type="application/json")
        else:
            response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def _mark_request(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    # Sent while Django handles the exception, so it is the current one.
    if request is not None and database_down(sys.exc_info()[1]):
        setattr(request, _MARK, True)


class DatabaseOutageMiddleware:
    """Answers 503 when the database cannot be reached; see the module's text."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        got_request_exception.connect(_mark_request, dispatch_uid="waarborg-database-outage")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _MARK, False):
            return outage_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_down(exception):
            return None
        logger.warning("database unavailable in %s %s: %s", request.method, request.path, exception)
        return outage_response(request)
