"""Staff console. Thin: each page asks the gate and renders what it answers.

Access is decided in one place: ``staff_page`` turns the logged-in user into an Actor and asks the
gate which purposes that actor may act for; a page with none answers 403. Personal data is only
ever shown from ``gate_fields``.
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from waarborg.access.selectors import staff_actor
from waarborg.audit.selectors import audit_recent
from waarborg.audit.services import audit_record
from waarborg.core.actors import Actor
from waarborg.gate.services import Allowed, actor_purposes, gate_fields
from waarborg.policy.selectors import policy_current
from waarborg.vault import lookup

Page = Callable[..., HttpResponse]


def _lang() -> str:
    return "en" if (get_language() or "nl").startswith("en") else "nl"


def staff_page(view: Callable[..., HttpResponse]) -> Page:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        actor = staff_actor(request.user)
        if actor is None:
            return auth_views.redirect_to_login(request.get_full_path(), "console:login")
        policy = policy_current().policy
        purposes = {
            p for p in actor_purposes(policy, actor) if not policy.purposes[p].aggregate_only
        }
        if not purposes:
            return render(
                request,
                "console/forbidden.html",
                {"message": _("Your account has no role that may use personal data.")},
                status=403,
            )
        return view(request, actor, sorted(purposes), *args, **kwargs)

    return wrapped


def _purpose_choices(purposes: list[str]) -> list[tuple[str, str]]:
    policy = policy_current().policy
    lang = _lang()
    return [(p, policy.purposes[p].name.get(lang)) for p in purposes]


@require_GET
@staff_page
def home(request: HttpRequest, actor: Actor, purposes: list[str]) -> HttpResponse:
    return render(
        request,
        "console/home.html",
        {
            "actor": actor,
            "purposes": _purpose_choices(purposes),
            "recent": audit_recent(actor_label=actor.label, limit=15),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_page
def search(request: HttpRequest, actor: Actor, purposes: list[str]) -> HttpResponse:
    """The form is sent by POST: an e-mail address in a URL would end up in access logs and the
    browser's history."""
    query = request.POST.get("q", "").strip()[:320] if request.method == "POST" else ""
    ids: list[uuid.UUID] = []
    error = ""
    if query:
        try:
            ids = [uuid.UUID(query)] if lookup.subject_exists(uuid.UUID(query)) else []
        except ValueError:
            if "@" in query:
                ids = lookup.subject_ids_by_email(query)
            else:
                error = _("Search by e-mail address or by id.")
    if query and not error:
        # Finding someone reveals that they are a customer: the search is a read, audited (the
        # query itself is not written down, only how many matched).
        detail: dict[str, Any] = {"by": "id" if "@" not in query else "email", "matches": len(ids)}
        if len(ids) > 1:
            detail["subjects"] = [str(i) for i in ids]  # who was revealed, not what was typed
        audit_record(
            actor=actor,
            action="console.search",
            subject_id=ids[0] if len(ids) == 1 else None,
            detail=detail,
        )
    return render(
        request,
        "console/search.html",
        {"query": query, "ids": ids, "error": error, "searched": bool(query) and not error},
        status=400 if error else 200,
    )


@require_GET
@staff_page
def subject(
    request: HttpRequest, actor: Actor, purposes: list[str], subject_id: uuid.UUID
) -> HttpResponse:
    purpose = request.GET.get("purpose", "")
    context: dict[str, Any] = {
        "subject_id": subject_id,
        "purposes": _purpose_choices(purposes),
        "purpose": purpose,
    }
    status = 200
    if purpose:
        result = gate_fields(actor=actor, purpose=purpose, subject=subject_id)
        if isinstance(result, Allowed):
            labels = policy_current().policy.fields
            lang = _lang()
            context["fields"] = [
                (labels[f].label.get(lang) if f in labels else f, v)
                for f, v in result.fields.items()
            ]
        else:
            context["refusal"] = result.message.get(_lang())
            context["reason"] = result.reason
            status = 404 if result.reason == "not_found" else 403
    return render(request, "console/subject.html", context, status=status)


# Failed logins allowed before a pause of LOGIN_PAUSE seconds, per user name and per address.
# Counted in the cache, so per server process, like the API's rate limit.
LOGIN_FAILURES_PER_USER = 5
LOGIN_FAILURES_PER_ADDRESS = 20
LOGIN_PAUSE = 15 * 60


def _login_counters(request: HttpRequest) -> list[tuple[str, int]]:
    # The login form reads the name in NFKC form, so a full-width or otherwise look-alike
    # spelling logs in as the same user: the counter must not tell them apart either.
    username = unicodedata.normalize("NFKC", str(request.POST.get("username", ""))).strip()
    address = request.META.get("REMOTE_ADDR", "")

    def key(kind: str, value: str) -> str:  # hashed: any text makes a valid cache key
        return f"console-login-failures:{kind}:" + hashlib.sha256(value.encode()).hexdigest()

    return [
        (key("user", username.casefold()), LOGIN_FAILURES_PER_USER),
        (key("address", address), LOGIN_FAILURES_PER_ADDRESS),
    ]


class Login(auth_views.LoginView):
    """Django's login with a pause after repeated failures (against password guessing)."""

    template_name = "console/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        counters = _login_counters(request)
        if any(cache.get(key, 0) >= limit for key, limit in counters):
            context = self.get_context_data(form=self.get_form(), paused=LOGIN_PAUSE // 60)
            return self.render_to_response(context, status=429)
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:  # the form came back: the password did not match
            for key, _limit in counters:
                cache.add(key, 0, LOGIN_PAUSE)
                cache.incr(key)
        else:
            cache.delete(counters[0][0])
        return response

    def get_redirect_url(self) -> str:
        """A ``next`` pointing back at the login page would loop for a logged-in user (Django
        raises an error there): such a user goes to the console's home instead."""
        url = super().get_redirect_url()
        return "" if url.split("?", 1)[0] == self.request.path else url
