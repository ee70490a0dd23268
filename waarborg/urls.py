from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import include, path, re_path

from waarborg.api.views import api_urls


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect("/privacy")


def not_found(request: HttpRequest) -> HttpResponse:
    """Our own page for an unknown address, also in development mode (where Django would show its
    technical page with every URL pattern)."""
    return render(request, "404.html", status=404)


urlpatterns = [
    # First: the API's reads are the busiest requests; any other address leaves this prefix at
    # once, while the others' patterns cost an API request a third of its URL resolving.
    path("api/", api_urls()),
    path("", home),
    path("", include("waarborg.policy.urls")),
    path("", include("waarborg.consent.urls")),
    path("console/", include("waarborg.console.urls")),
    path("", include("waarborg.center.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # Last: any other address outside the API (which answers its own 404 in JSON).
    re_path(r"^(?!api/)", not_found),
]
