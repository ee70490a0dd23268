"""The privacy center: where a person asks to exercise their rights, without an account.

Thin: each view parses what was sent, calls one service or selector of ``waarborg.rights`` and
renders. What a page says never depends on whether the address given is on file: filing answers
with the reference and "check your mail" alone, so nobody learns from it who is a customer.
The status of a request is shown only through the link mailed to the requester.
"""

from __future__ import annotations

import hmac
import re
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET, require_http_methods

from waarborg.center.words import NAMES, RIGHTS, state_words
from waarborg.consent.choices import LINK_HOURS
from waarborg.core.clients import client_address
from waarborg.core.i18n import Lang, request_language
from waarborg.policy.selectors import policy_current
from waarborg.rights import errors
from waarborg.rights.codes import ALPHABET, CONFIRM_DAYS, REFERENCE_LENGTH, status_code
from waarborg.rights.errors import RightsError
from waarborg.rights.selectors import State, request_confirmable, request_state
from waarborg.rights.services import request_confirm, request_file
from waarborg.rights.validation import EXPLANATION_MAX, InvalidRequest

REFERENCE = re.compile(f"R-[{ALPHABET}]{{{REFERENCE_LENGTH}}}")


def _page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    status: int = 200,
    *,
    state: State | None = None,
    lang: Lang | None = None,
) -> HttpResponse:
    """A page of the center in the reader's language: ``lang`` when the caller knows it (the
    language of a choices session), else the one asked for with ``?lang=``, else, on a page
    about a request (opened from a mail), the request's own language."""
    lang = lang or _language(request, state)
    policy = policy_current().policy
    base = {"lang": lang, "controller": policy.controller, "confirm_days": CONFIRM_DAYS}
    with translation.override(lang):
        response = render(request, f"center/{template}", {**base, **context}, status=status)
    response["Content-Language"] = lang
    return response


def _language(request: HttpRequest, state: State | None) -> Lang:
    if state is not None and "lang" not in request.GET:
        return "en" if state.language == "en" else "nl"
    return request_language(request)


@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """The form: which rights, the address, an optional explanation."""
    if request.method == "GET":
        return _form(request, {"kinds": [], "email": "", "explanation": ""})
    kinds = request.POST.getlist("kinds")
    email = request.POST.get("email", "")[:400]
    explanation = request.POST.get("explanation", "")[: EXPLANATION_MAX * 2]
    sent = {"kinds": kinds, "email": email, "explanation": explanation}
    try:
        filed = request_file(
            kinds=kinds,
            email=email,
            explanation=explanation,
            language=request_language(request),
            channel="center",
            client=client_address(request),
        )
    except InvalidRequest as exc:
        return _form(request, sent, problems=exc.fields, status=400)
    except RightsError as exc:  # too many filings from here or for this address
        return _form(request, sent, refusal=exc.message, status=429)
    url = reverse("center:filed", args=[filed.reference])
    return HttpResponseRedirect(f"{url}?lang={request_language(request)}", status=303)


def _form(
    request: HttpRequest,
    sent: dict[str, Any],
    *,
    problems: dict[str, Any] | None = None,
    refusal: object = "",
    choices: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "choices": choices or {},
        "rights": RIGHTS,
        "sent": sent,
        "problems": problems or {},
        "refusal": refusal,
        "explanation_max": EXPLANATION_MAX,
        "link_hours": LINK_HOURS,
    }
    return _page(request, "home.html", context, status=status)


@require_GET
def filed(request: HttpRequest, reference: str) -> HttpResponse:
    """The answer to filing: the reference and what to look for in the mail. It reads nothing
    stored, so it is the same for every request (and for a reference typed in by hand)."""
    if not REFERENCE.fullmatch(reference):
        return _not_found(request)
    return _page(request, "filed.html", {"reference": reference})


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    """The link in the acknowledgement. Opening it changes nothing (mail scanners open links);
    the button sends the POST that confirms."""
    if request.method == "GET":
        state = request_confirmable(reference=reference, code=code)
        if state is None:
            return _link_broken(request, reference)
        return _page(request, "confirm.html", {"state": _state(state)}, state=state)
    try:
        confirmed = request_confirm(reference=reference, code=code)
    except RightsError:
        return _link_broken(request, reference)
    ref, lang = confirmed.reference, _language(request, request_state(confirmed.reference))
    url = reverse("center:status", args=[ref, status_code(ref)])
    return HttpResponseRedirect(f"{url}?lang={lang}&confirmed=1", status=303)


def _link_broken(request: HttpRequest, reference: str) -> HttpResponse:
    """The refusal of a used, expired or mistyped link; in the request's language when the
    reference names one (the person reads the mail's language, not the browser's)."""
    message = {"message": errors.bad_code().message}
    return _page(request, "link_broken.html", message, status=400, state=_asked(reference))


def _asked(reference: str) -> State | None:
    return request_state(reference) if REFERENCE.fullmatch(reference) else None


@require_GET
def status(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    """A request's state and clock, for whoever holds the link mailed to the requester."""
    if not REFERENCE.fullmatch(reference) or not hmac.compare_digest(
        code.encode(), status_code(reference).encode()
    ):
        return _not_found(request)
    state = request_state(reference)
    if state is None:
        return _not_found(request)
    context = {
        "state": _state(state),
        "confirmed": request.GET.get("confirmed") == "1",
        "authority": policy_current().policy.controller.supervisory_authority,
    }
    return _page(request, "status.html", context, state=state)


def _state(state: State) -> dict[str, Any]:
    name, meaning = state_words(state.status)
    return {
        "reference": state.reference,
        "kinds": [NAMES.get(k, k) for k in state.kinds],
        "status": state.status,
        "status_name": name,
        "status_meaning": meaning,
        "received": state.received_at,
        "due": state.due,
        "extended_until": state.extended_until,
        "days_left": state.days_left,
        "late": -state.days_left,
        "running": state.status in ("awaiting_confirmation", "open"),
    }


def _not_found(request: HttpRequest) -> HttpResponse:
    return _page(request, "not_found.html", {}, status=404)
