"""The project's URLs plus one bench page: a plain template of a given size, rendered through
the same middleware as ``/privacy`` (the baseline of ``policy.statement.request``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path

from waarborg.urls import urlpatterns as project_urlpatterns

# Set by ``bench.policy_bench`` before the first request: the compiled template and its context.
PLAIN: dict[str, Any] = {}


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PLAIN["template"].render(PLAIN["context"], request))


urlpatterns = [*project_urlpatterns, path("bench/plain", plain)]
