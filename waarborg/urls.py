from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import include, path


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect("/privacy")


urlpatterns = [
    path("", home),
    path("", include("waarborg.policy.urls")),
]
