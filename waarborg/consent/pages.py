"""Pages a person reaches from a mail: unsubscribe (RFC 8058 one-click) and, below, sign-up and
confirmation of e-mail consent. Each view parses, calls one service and renders."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from waarborg.consent.optin import UNSUBSCRIBE_PAGE, marketing_purposes, unsubscribe_withdraw
from waarborg.consent.unsubscribe import unsubscribe_token, unsubscribe_token_read
from waarborg.core.errors import Refusal
from waarborg.core.i18n import request_language
from waarborg.policy.schema import localized
from waarborg.policy.selectors import policy_current


def _purpose_name(purpose: str, lang: str) -> str:
    return localized(policy_current().policy.purposes[purpose].name, lang)


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
            source = "unsubscribe:one-click" if one_click else UNSUBSCRIBE_PAGE
            unsubscribe_withdraw(token=token, source=source)
    except Refusal as refusal:
        context = {"lang": lang, "message": refusal.message}
        return render(request, "consent/unsubscribe_invalid.html", context, status=400)
    others = [
        {
            "name": _purpose_name(p, lang),
            "token": unsubscribe_token(subject_id=subject_id, purpose=p),
        }
        for p in marketing_purposes()
        if p != purpose
    ]
    context = {
        "lang": lang,
        "purpose": _purpose_name(purpose, lang),
        "token": token,
        "done": request.method == "POST",
        "others": others,
    }
    return render(request, "consent/unsubscribe.html", context)
