"""The privacy center: where a person asks to exercise their rights, without an account.

Thin: each view parses the form, calls one service of ``waarborg.rights`` and renders."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_http_methods


@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("privacy center")


@require_GET
def filed(request: HttpRequest, reference: str) -> HttpResponse:
    return HttpResponse("filed")


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    return HttpResponse("confirm")


@require_GET
def status(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    return HttpResponse("status")
