"""The cookie banner's addresses: its content (JSON), the endpoint that stores a choice, and a
demonstration page.

Cross-site requests. The banner runs on CMS's own sites too, so the choice endpoint takes a
POST from other origins and cannot use Django's CSRF token (the embedding page has none). It
needs none: it reads no cookie and no session, so a forged request carries no authority of the
visitor's. The visitor's identifier travels in the body, read by the banner script from its own
first-party cookie, which no other site can read. What a forged request could still do is add
choices for identifiers it made up; three checks keep browsers on other sites out:
``Content-Type: application/json`` is required (a cross-site form or ``text/plain`` beacon cannot
send it without a CORS preflight), an ``Origin`` other than this server's must be listed in
``WAARBORG_BANNER_ORIGINS`` (and only those get a preflight answer), and each client address may
record a limited number of choices per minute.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from waarborg.consent.banner import CONSENT_COOKIE, RENEW_MONTHS, banner_current
from waarborg.consent.services import Choice, cookie_choice_record
from waarborg.core.clients import client_address
from waarborg.core.counters import counter_add
from waarborg.core.errors import Refusal, Text
from waarborg.core.i18n import Lang, request_language
from waarborg.policy.selectors import policy_current

MAX_BODY = 4096
CHOICES_PER_MINUTE = 30
STATUS = {"banner_changed": 409, "origin_not_allowed": 403, "too_many": 429, "not_json": 415}


def _gpc(request: HttpRequest) -> bool:
    return request.headers.get("Sec-GPC", "").strip() == "1"


def _lang(request: HttpRequest) -> Lang:
    return "en" if request.GET.get("lang") == "en" else request_language(request)


@require_GET
def banner_config(request: HttpRequest) -> HttpResponse:
    """What the script shows, in one language. Public and the same for everyone but for the
    ``Sec-GPC`` header, which the script cannot see itself: any site may read it."""
    lang = _lang(request)
    version, content = banner_current()
    policy_url = request.build_absolute_uri(reverse("policy:statement"))
    with translation.override(lang):
        anchor = translation.pgettext("section anchor", "cookies")
    body = {
        "version": version,
        "lang": lang,
        "gpc": _gpc(request),
        "cookie": CONSENT_COOKIE,
        "renew_months": RENEW_MONTHS,
        "choice_url": request.build_absolute_uri(reverse("consent:choice")),
        "policy_url": f"{policy_url}?lang={lang}#{anchor}",
        **content[lang],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    # Five minutes: a changed banner is noticed that late at most (a choice on the old one is
    # refused with banner_changed and the script fetches this again).
    response["Cache-Control"] = "public, max-age=300"
    response["Vary"] = "Sec-GPC"
    return response


def _own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _allowed_origin(request: HttpRequest) -> str | None:
    """The origin to answer CORS for: this server's own or a listed site; None for any other."""
    origin = request.headers.get("Origin", "")
    if not origin:  # not a browser's cross-site request: no victim to protect
        return ""
    if origin == _own_origin(request) or origin in settings.WAARBORG_BANNER_ORIGINS:
        return origin
    return None


def _error(
    request: HttpRequest, code: str, message: Text, lang: Lang | None = None
) -> JsonResponse:
    """An answer the script can act on (``code``) and a person can read, in the banner's
    language when the choice names it."""
    with translation.override(lang or _lang(request)):
        body = {"code": code, "message": str(message)}
    return JsonResponse(body, status=STATUS.get(code, 400))


def _over_limit(request: HttpRequest) -> bool:
    """A fixed window per client address, counted in the cache every process shares."""
    window = int(time.time() // 60)
    key = f"rate:cookie-choice:{client_address(request)}:{window}"
    return counter_add(key, ttl=61) > CHOICES_PER_MINUTE


def _parse(request: HttpRequest, site: str) -> Choice | JsonResponse:
    if request.content_type != "application/json":
        return _error(request, "not_json", _("Send the choice as JSON."))
    try:
        data: Any = json.loads(request.body)
    except ValueError:
        return _error(request, "bad_choice", _("The choice cannot be read."))
    known = {"visitor", "accepted", "version", "method", "gpc", "lang"}
    if not isinstance(data, dict) or set(data) - known or not {"version", "method"} <= set(data):
        return _error(request, "bad_choice", _("The choice cannot be read."))
    accepted, visitor = data.get("accepted", []), data.get("visitor") or ""
    fields = (visitor, data["version"], data["method"])
    if (
        not isinstance(accepted, list)
        or not all(isinstance(k, str) for k in (*accepted, *fields))
        or not isinstance(data.get("gpc", False), bool)
    ):
        return _error(request, "bad_choice", _("The choice cannot be read."))
    return Choice(
        visitor=visitor,
        accepted=accepted,
        version=data["version"],
        method=data["method"],
        gpc=data.get("gpc", False) or _gpc(request),
        site=site,
        lang="en" if data.get("lang") == "en" else "nl",
    )


def _length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return MAX_BODY + 1


def _cors(response: HttpResponse, origin: str) -> HttpResponse:
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = "Origin"
    return response


@csrf_exempt  # see the module's docstring: no cookie or session is read here
@require_http_methods(["POST", "OPTIONS"])
def choice(request: HttpRequest) -> HttpResponse:
    origin = _allowed_origin(request)
    if origin is None:
        return _error(request, "origin_not_allowed", _("This site may not record cookie choices."))
    if request.method == "OPTIONS":  # the CORS preflight of a listed site
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Methods"] = "POST"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "600"
        return _cors(response, origin)
    if _length(request) > MAX_BODY:
        return _cors(_error(request, "bad_choice", _("The choice cannot be read.")), origin)
    if _over_limit(request):
        message = _("Too many choices from your address; please try again in a minute.")
        return _cors(_error(request, "too_many", message), origin)
    parsed = _parse(request, origin or _own_origin(request))
    if isinstance(parsed, JsonResponse):
        return _cors(parsed, origin)
    try:
        row = cookie_choice_record(choice=parsed)
    except Refusal as refusal:
        return _cors(_error(request, refusal.code, refusal.message, parsed.lang), origin)
    body = {
        "visitor": row.visitor,
        "version": parsed.version,
        "accepted": row.accepted,
        "refused": row.refused,
        "chosen_at": row.chosen_at.isoformat(),
    }
    return _cors(JsonResponse(body, status=201), origin)


@require_GET
def demo(request: HttpRequest) -> HttpResponse:
    """A page with one test tag per cookie category: each loads, and sets its test cookie
    (``wb_demo_*`` in the catalogue), only after consent for its category."""
    lang = request_language(request)
    _version, content = banner_current()
    policy = policy_current().policy
    tags = [
        {"cookie": cookie.name, "category": category["key"], "name": category["name"]}
        for category in content[lang]["categories"]
        for cookie in policy.cookies
        if cookie.consent_category == category["key"] and cookie.name.startswith("wb_demo")
    ]
    script = request.build_absolute_uri(static("consent/banner.js"))
    return render(request, "consent/demo.html", {"lang": lang, "tags": tags, "script": script})
