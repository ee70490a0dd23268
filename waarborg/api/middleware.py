"""Limits that hold before a request reaches the API: body size."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

MAX_BODY = 64 * 1024


def body_limit(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = MAX_BODY + 1
            if length > MAX_BODY:
                en = request.META.get("HTTP_ACCEPT_LANGUAGE", "").lower().startswith("en")
                message = (
                    "The request body is larger than 64 KiB."
                    if en
                    else "Het verzoek is groter dan 64 KiB."
                )
                body = json.dumps({"code": "too_large", "message": message})
                return HttpResponse(body, status=413, content_type="application/json")
        return get_response(request)

    return middleware
