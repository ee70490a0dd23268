"""Which language a person reads: the one helper for every page and every API answer.

Texts of the software are English msgids translated with Django's gettext (``locale/nl``); texts
of the policy (YAML ``nl``/``en`` pairs) are read with ``waarborg.policy`` helpers in the language
this module picks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from django.http import HttpRequest, HttpResponse
from django.utils import translation

Lang = Literal["nl", "en"]
LANGS: tuple[Lang, ...] = ("nl", "en")


def _normal(code: str | None) -> Lang:
    return "en" if (code or "nl").startswith("en") else "nl"


def request_language(request: HttpRequest) -> Lang:
    """``?lang=nl|en`` wins; otherwise Django's reading of the session, cookie and
    ``Accept-Language`` (weights and fallbacks included); Dutch when nothing matches."""
    asked = request.GET.get("lang", "")
    if asked == "en":
        return "en"
    if asked == "nl":
        return "nl"
    code = getattr(request, "LANGUAGE_CODE", None)
    return _normal(code or translation.get_language_from_request(request))


def current_language() -> Lang:
    """The language active in this thread (set per request by ``LanguageMiddleware``)."""
    return _normal(translation.get_language())


def language_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """After Django's LocaleMiddleware: let ``?lang=`` choose, so a link can name its language."""

    def middleware(request: HttpRequest) -> HttpResponse:
        lang = request_language(request)
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
        return get_response(request)

    return middleware
