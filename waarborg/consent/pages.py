"""Pages of e-mail consent: the sign-up form (on waarborg and embeddable in CMS's sites), the
confirmation page behind the double opt-in link, and the unsubscribe page (RFC 8058 one-click).
Each view parses, calls one service and renders."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from waarborg.consent.optin import (
    ONE_CLICK,
    UNSUBSCRIBE_PAGE,
    Signup,
    marketing_purposes,
    subscribe_confirm,
    subscribe_request,
    unsubscribe_withdraw,
)
from waarborg.consent.texts import consent_text
from waarborg.consent.unsubscribe import unsubscribe_token, unsubscribe_token_read
from waarborg.core.clients import client_address
from waarborg.core.errors import Refusal
from waarborg.core.i18n import Lang, request_language
from waarborg.policy.schema import localized
from waarborg.policy.selectors import policy_current

SIGNUPS_PER_MINUTE = 10


def _purpose_name(purpose: str, lang: str) -> str:
    return localized(policy_current().policy.purposes[purpose].name, lang)


def _over_limit(request: HttpRequest) -> bool:
    """A fixed window per client address: each sign-up sends a mail, so it is rationed."""
    key = f"rate:subscribe:{client_address(request)}:{int(time.time() // 60)}"
    if cache.add(key, 1, 61):
        return False
    return int(cache.incr(key)) > SIGNUPS_PER_MINUTE


def _site(request: HttpRequest, embed: bool) -> str:
    """The proof's source: waarborg's own form, or the listed site that embeds it."""
    site = request.POST.get("site") or request.GET.get("site", "")
    if embed or site:
        return f"embed:{site}" if site in settings.WAARBORG_BANNER_ORIGINS else "embed"
    return "form:waarborg"


def _signup(request: HttpRequest, lang: Lang, source: str) -> Signup:
    chosen = request.POST.getlist("consent")
    versions = {p: request.POST.get(f"version-{p}", "") for p in chosen}
    return Signup(
        email=request.POST.get("email", "").strip()[:254],
        name=request.POST.get("name", "").strip()[:200],
        versions=versions,
        lang=lang,
        source=source,
    )


def _form(request: HttpRequest, embed: bool, status: int = 200, **extra: Any) -> HttpResponse:
    lang = request_language(request)
    site = request.POST.get("site") or request.GET.get("site", "")
    name = "consent:subscribe_embed" if embed else "consent:subscribe"
    context = {
        "lang": lang,
        "embed": embed,
        "site": site if site in settings.WAARBORG_BANNER_ORIGINS else "",
        "action": f"{reverse(name)}?lang={lang}",
        "statement": f"{reverse('policy:statement')}?lang={lang}",
        "texts": [consent_text(purpose=p, lang=lang) for p in marketing_purposes()],
        **extra,
    }
    response = render(request, "consent/subscribe.html", context, status=status)
    if embed:  # CMS's listed sites may frame it; no one else
        ancestors = ["'self'", *settings.WAARBORG_BANNER_ORIGINS]
        response._csp_replace = {"frame-ancestors": ancestors}  # type: ignore[attr-defined]
    return response


def _subscribe(request: HttpRequest, embed: bool) -> HttpResponse:
    if request.method == "GET":
        return _form(request, embed)
    lang = request_language(request)
    if _over_limit(request):
        error = _("Too many sign-ups from your address; please try again in a minute.")
        return _form(request, embed, 429, error=error)
    signup = _signup(request, lang, _site(request, embed))
    values = {"name": signup.name, "email": signup.email}
    try:
        subscribe_request(signup=signup)
    except Refusal as refusal:
        fields = dict(refusal.fields)
        return _form(request, embed, 400, error=refusal.message, fields=fields, values=values)
    return _form(request, embed, sent=True)


# CSRF-exempt by design, like the cookie banner's choice endpoint: the embedded form runs in a
# frame on CMS's sites, where browsers withhold waarborg's CSRF cookie. It needs no token: it
# reads no cookie or session (no authority to borrow), and what a forged sign-up can do is
# record consent that stays pending, and never counts, until the owner of the address clicks
# the link mailed to them. Mails are rationed per client address.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    return _subscribe(request, embed=False)


@csrf_exempt  # see subscribe
@xframe_options_exempt  # framed only by the listed sites: frame-ancestors in _form
@require_http_methods(["GET", "POST"])
def subscribe_embed(request: HttpRequest) -> HttpResponse:
    return _subscribe(request, embed=True)


@require_http_methods(["GET", "POST"])
def subscribe_confirmation(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; only its POST confirms, so a mail scanner that opens the link
    confirms nothing."""
    lang = request_language(request)
    context: dict[str, Any] = {"lang": lang}
    status = 200
    if request.method == "POST":
        try:
            confirmed = subscribe_confirm(token=token)
            context["confirmed"] = [_purpose_name(p, lang) for p in confirmed]
        except Refusal as refusal:
            context["error"], status = refusal.message, 400
    return render(request, "consent/confirm.html", context, status=status)


# CSRF-exempt by design: RFC 8058 one-click. A mail program POSTs
# "List-Unsubscribe=One-Click" to this URL without cookies, session or token; the authority is
# the signed token in the URL itself, which only the person's own mail carries. A forged POST
# could only withdraw consent (never give it), for a person whose link the forger already has.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    lang = request_language(request)
    try:
        subject_id, purpose = unsubscribe_token_read(token=token)
        if request.method == "POST":
            one_click = request.POST.get("List-Unsubscribe") == "One-Click"
            unsubscribe_withdraw(token=token, source=ONE_CLICK if one_click else UNSUBSCRIBE_PAGE)
    except Refusal as refusal:
        invalid = {"lang": lang, "message": refusal.message}
        return render(request, "consent/unsubscribe_invalid.html", invalid, status=400)
    others = [
        {
            "name": _purpose_name(p, lang),
            "token": unsubscribe_token(subject_id=subject_id, purpose=p),
        }
        for p in marketing_purposes()
        if p != purpose
    ]
    context: dict[str, Any] = {
        "lang": lang,
        "purpose": _purpose_name(purpose, lang),
        "done": request.method == "POST",
        "others": others,
    }
    return render(request, "consent/unsubscribe.html", context)
