from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import include, path

from waarborg.api.views import api


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect("/privacy")


urlpatterns = [
    path("", home),
    path("", include("waarborg.policy.urls")),
    path("api/", api.urls),
    path("console/", include("waarborg.console.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
