"""The privacy center's "Your choices": a person sees and changes every consent and this
browser's cookie choice, after a link mailed to their address (``waarborg.consent.choices``).

Thin, like the rest of the center: each view parses, calls one function of the consent app and
renders. Asking for a link answers the same whether or not the address is on file. The link
opens a page with a button (mail scanners open links; the link works once); the button opens a
short session kept in a cookie of its own (``wb_choices``, only for these pages)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waarborg.center.views import _form, _page
from waarborg.consent.choices import (
    BAD_LINK,
    LINK_HOURS,
    SESSION_ENDED,
    SESSION_MINUTES,
    choices_end,
    choices_give,
    choices_link_language,
    choices_link_request,
    choices_open,
    choices_read,
    choices_session,
    choices_withdraw,
    cookie_choice_now,
)
from waarborg.core.clients import client_address
from waarborg.core.errors import Refusal
from waarborg.core.i18n import Lang, request_language

COOKIE = "wb_choices"
COOKIE_PATH = "/privacy/center/choices"
BANNER_COOKIE = "wb_consent"  # the cookie banner's own: this browser's random visitor id


def _url(name: str, lang: str, *args: str) -> str:
    return f"{reverse(name, args=args)}?lang={lang}"


@require_POST
def ask(request: HttpRequest) -> HttpResponse:
    """The form on the center's first page: mail me a link to my choices."""
    lang = request_language(request)
    email = request.POST.get("choices_email", "")[:400]
    try:
        choices_link_request(email=email, lang=lang, client=client_address(request))
    except Refusal as refusal:
        status = 429 if refusal.code == "rate_limited" else 400
        choices = {"email": email, "problem": refusal.message}
        sent = {"kinds": [], "email": "", "explanation": ""}
        return _form(request, sent, choices=choices, status=status)
    return HttpResponseRedirect(_url("center:choices_sent", lang), status=303)


@require_GET
def sent(request: HttpRequest) -> HttpResponse:
    """The answer to asking: the same for every address (it reads nothing stored)."""
    return _page(request, "choices_sent.html", {"link_hours": LINK_HOURS})


def _broken(request: HttpRequest) -> HttpResponse:
    context = {"message": BAD_LINK, "again": _url("center:home", request_language(request))}
    return _page(request, "choices_broken.html", context, status=400)


@require_http_methods(["GET", "POST"])
def open_link(request: HttpRequest, code: str) -> HttpResponse:
    """The link in the mail: GET shows a button (changes nothing), its POST uses the link."""
    if request.method == "GET":
        link_lang = choices_link_language(code=code)
        if link_lang is None:
            return _broken(request)
        lang = request_language(request) if "lang" in request.GET else link_lang
        return _page(request, "choices_open.html", {"minutes": SESSION_MINUTES}, lang=lang)
    try:
        session = choices_open(code=code)
    except Refusal:
        return _broken(request)
    lang = request_language(request) if "lang" in request.GET else session.lang
    response = HttpResponseRedirect(_url("center:choices", lang), status=303)
    response.set_cookie(
        COOKIE,
        session.token,
        max_age=SESSION_MINUTES * 60,
        path=COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
    return response


def _ended(request: HttpRequest, *, closed: bool = False, lang: Lang | None = None) -> HttpResponse:
    context = {"closed": closed, "message": SESSION_ENDED}
    status = 200 if closed else 403
    response = _page(request, "choices_ended.html", context, status=status, lang=lang)
    response.delete_cookie(COOKIE, path=COOKIE_PATH, samesite="Strict")
    return response


@require_http_methods(["GET", "POST"])
def choices(request: HttpRequest) -> HttpResponse:
    """The person's choices (GET), and one change (POST: withdraw or give one purpose)."""
    token = request.COOKIES.get(COOKIE, "")
    session = choices_session(token=token)
    if session is None:
        return _ended(request)
    lang: Lang = request_language(request) if "lang" in request.GET else session.lang
    if request.method == "POST":
        return _change(request, token, lang)
    return _show(request, token, lang)


def _change(request: HttpRequest, token: str, lang: Lang) -> HttpResponse:
    action, purpose = request.POST.get("action", ""), request.POST.get("purpose", "")
    try:
        if action == "withdraw":
            choices_withdraw(token=token, purpose=purpose)
        elif action == "give":
            version = request.POST.get("version", "")
            choices_give(token=token, purpose=purpose, version=version, lang=lang)
        else:
            return _show(request, token, lang, status=400)
    except Refusal as refusal:
        if refusal.code == "session_ended":
            return _ended(request)
        return _show(request, token, lang, error=refusal.message, status=409)
    url = f"{_url('center:choices', lang)}&done={action}&purpose={purpose}#purpose-{purpose}"
    return HttpResponseRedirect(url, status=303)


def _show(
    request: HttpRequest, token: str, lang: Lang, *, error: object = "", status: int = 200
) -> HttpResponse:
    context: dict[str, Any] = {"error": error, "session": choices_session(token=token)}
    try:
        context["purposes"] = choices_read(token=token, lang=lang)
    except Refusal as refusal:
        if refusal.code == "session_ended":
            return _ended(request)
        context["purposes"], context["refusal"] = [], refusal.message
    done, purpose = request.GET.get("done"), request.GET.get("purpose", "")
    if done in ("withdraw", "give"):
        names = {p.purpose: p.name for p in context["purposes"]}
        context["done"], context["done_name"] = done, names.get(purpose, "")
    context["cookie"] = cookie_choice_now(cookie=request.COOKIES.get(BANNER_COOKIE, ""), lang=lang)
    context["cookies_saved"] = "cookies" in request.GET
    return _page(request, "choices.html", context, status=status, lang=lang)


@require_POST
def end(request: HttpRequest) -> HttpResponse:
    """Close the session now: the token in the cookie stops working on the server too."""
    choices_end(token=request.COOKIES.get(COOKIE, ""))
    return _ended(request, closed=True)
