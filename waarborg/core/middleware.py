"""Response headers that hold for the whole site: ``Cache-Control: no-store`` where personal data
is answered, and the Content-Security-Policy with its few per-page additions."""

from __future__ import annotations

from collections.abc import Callable

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase


def no_store_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Personal data stays in no browser's or proxy's cache (the back button, a shared computer,
    a caching proxy): every answer is ``no-store`` unless its view chose a caching policy itself,
    and under the prefixes of ``WAARBORG_NO_STORE_PATHS`` always.

    Static files never reach this: WhiteNoise answers them further out, with their own policy."""
    always = tuple(settings.WAARBORG_NO_STORE_PATHS)

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if request.path.startswith(always) or not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response

    return middleware


class SiteCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, plus the additions ``WAARBORG_CSP_PAGE_ADDITIONS`` names for one
    page (the API docs), so the rest of the site keeps the strict policy."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        extra = settings.WAARBORG_CSP_PAGE_ADDITIONS.get(request.path_info)
        if extra and parts.update is None:
            parts.update = extra
        return parts
