"""What holds for every ``/api/`` request before and after the API itself: a body limit, and
errors as JSON with a stable ``code`` even where Django, not the API, answers (404, 405)."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from waarborg.core.errors import Text
from waarborg.core.i18n import request_language

MAX_BODY = 64 * 1024

_TEXTS: dict[str, Text] = {
    "bad_request": _("The request cannot be handled."),
    "too_large": _("The request body is larger than 64 KiB."),
    "not_found": _("This address does not exist in the API."),
    "method_not_allowed": _("This method is not allowed here."),
}


def api_error(request: HttpRequest, status: int, code: str) -> HttpResponse:
    # Runs before Django's LocaleMiddleware: the request's language is picked here the same way.
    with translation.override(request_language(request)):
        body = json.dumps({"code": code, "message": str(_TEXTS[code])})
    return HttpResponse(body, status=status, content_type="application/json")


def api_guard(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = MAX_BODY + 1
        if length > MAX_BODY:
            return api_error(request, 413, "too_large")
        response = get_response(request)
        is_json = response.get("Content-Type", "").startswith("application/json")
        if response.status_code == 405 and not is_json:
            allow = response.get("Allow")
            response = api_error(request, 405, "method_not_allowed")
            if allow:
                response["Allow"] = allow
        elif response.status_code == 404 and not is_json:
            response = api_error(request, 404, "not_found")
        elif response.status_code == 400 and not is_json:  # e.g. a Host not allowed
            response = api_error(request, 400, "bad_request")
        return response

    return middleware
