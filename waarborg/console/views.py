"""Staff console. Thin: each page asks the gate and renders what it answers, in words.

Access is decided in one place: ``staff_page`` turns the logged-in user into an Actor and asks the
gate which purposes that actor may use personal data for; a page with none answers 403. Personal
data is only ever shown from ``gate_fields``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import user_has_device  # type: ignore[import-untyped]

from waarborg.access.logins import LOGIN_PAUSE, login_failed, login_paused, login_succeeded
from waarborg.access.mfa import mfa_step
from waarborg.access.selectors import staff_actor
from waarborg.campaigns.selectors import campaign_purposes
from waarborg.console.rows import access_rows, field_rows, history_rows, purpose_names
from waarborg.core.actors import Actor
from waarborg.core.clients import client_address
from waarborg.core.i18n import current_language
from waarborg.gate.ledger import gate_own_accesses, gate_subject_records
from waarborg.gate.lookup import gate_search
from waarborg.gate.services import Allowed, gate_fields, gate_purposes
from waarborg.policy.documents import register_context
from waarborg.policy.rules import decides_objections, keeps_registers
from waarborg.policy.selectors import policy_current

Page = Callable[..., HttpResponse]


def is_verified(request: HttpRequest) -> bool:
    """Whether this session gave a second factor (django-otp's middleware marks the user)."""
    return bool(getattr(request.user, "is_verified", lambda: False)())


def staff_page(view: Callable[..., HttpResponse]) -> Page:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        actor = staff_actor(request.user)
        if actor is None:
            return auth_views.redirect_to_login(request.get_full_path(), "console:login")
        # A second factor when the user has one or their role requires it: before any data.
        step = mfa_step(user=request.user, verified=is_verified(request))
        if step:
            return auth_views.redirect_to_login(request.get_full_path(), f"console:{step}")
        purposes = gate_purposes(actor=actor)
        if not purposes:
            message = _("Your account has no role that may use personal data.")
            return render(request, "console/forbidden.html", {"message": message}, status=403)
        return view(request, actor, purposes, *args, **kwargs)

    return wrapped


@require_GET
@staff_page
def home(request: HttpRequest, actor: Actor, purposes: list[str]) -> HttpResponse:
    recent = access_rows(gate_own_accesses(actor=actor))
    context = {"purposes": purpose_names(purposes), "recent": recent}
    return render(request, "console/home.html", context)


@require_http_methods(["GET", "POST"])
@staff_page
def search(request: HttpRequest, actor: Actor, purposes: list[str]) -> HttpResponse:
    """The form is sent by POST: an e-mail address or phone number in a URL would end up in
    access logs and the browser's history."""
    query = request.POST.get("q", "").strip()[:320] if request.method == "POST" else ""
    found = gate_search(actor=actor, query=query) if query else None
    error = found.error if found else ""
    context = {
        "query": query,
        "ids": found.ids if found else [],
        "error": error,
        "searched": found is not None and not error,
    }
    return render(request, "console/search.html", context, status=400 if error else 200)


@require_GET
@staff_page
def subject(
    request: HttpRequest, actor: Actor, purposes: list[str], subject_id: uuid.UUID
) -> HttpResponse:
    purpose = request.GET.get("purpose", "")
    names = dict(purpose_names(purposes))
    context: dict[str, Any] = {
        "subject_id": subject_id,
        "purposes": purpose_names(purposes),
        "purpose": purpose,
        "purpose_name": names.get(purpose, ""),
        "fields": None,
        "history": None,
        "accesses": None,
    }
    status = 200
    if purpose:
        result = gate_fields(actor=actor, purpose=purpose, subject=subject_id)
        if isinstance(result, Allowed):
            context["fields"] = field_rows(result.fields)
        else:
            context.update(refusal=result.message, reason=result.reason)
            status = 404 if result.reason == "not_found" else 403
        context.update(_subject_records(actor, subject_id))
    return render(request, "console/subject.html", context, status=status)


def _subject_records(actor: Actor, subject_id: uuid.UUID) -> dict[str, Any]:
    """The consent and objection history and the access log, each only where the gate allows."""
    events, log = gate_subject_records(actor=actor, subject_id=subject_id)
    return {
        "history": None if events is None else history_rows(events),
        "accesses": None if log is None else access_rows(log),
    }


@require_GET
@staff_page
def register(request: HttpRequest, actor: Actor, purposes: list[str]) -> HttpResponse:
    """The Art. 30 record of processing activities, for the role that keeps the registers."""
    loaded = policy_current()
    if not keeps_registers(loaded.policy, actor):
        message = _("Only the privacy officer keeps the record of processing activities.")
        return render(request, "console/forbidden.html", {"message": message}, status=403)
    context = {"register": register_context(loaded.policy, current_language())}
    return render(request, "console/register.html", context)


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Context for every console page: whether to link the register, and where the language
    switch returns to (this page without a ``?lang=``, which would override the choice)."""
    if not request.path.startswith("/console/"):
        return {}
    actor = staff_actor(request.user)
    policy = policy_current().policy
    query = request.GET.copy()
    query.pop("lang", None)
    here = request.path + (f"?{query.urlencode()}" if query else "")
    marketing = actor is not None and bool(campaign_purposes(purposes=gate_purposes(actor=actor)))
    return {
        "can_see_register": actor is not None and keeps_registers(policy, actor),
        "can_see_invoices": actor is not None and "invoicing" in gate_purposes(actor=actor),
        "can_handle_requests": actor is not None and decides_objections(policy, actor),
        "can_send_campaigns": marketing,
        "language_next": here,
    }


class Login(auth_views.LoginView):
    """Django's login with a pause after repeated failures (against password guessing)."""

    template_name = "console/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        who = {
            "username": str(request.POST.get("username", "")),
            "address": client_address(request),
        }
        if login_paused(**who):
            context = self.get_context_data(form=self.get_form(), paused=LOGIN_PAUSE // 60)
            return self.render_to_response(context, status=429)
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:  # the form came back: the password did not match
            login_failed(**who)
        elif not user_has_device(request.user):
            # With a second factor the count is cleared only by the right code, so a password
            # alone never buys more guesses at the code.
            login_succeeded(**who)
        return response

    def get_success_url(self) -> str:
        """After the password: the code (or setting up the app) first, then where they were
        going."""
        url = super().get_success_url()
        step = mfa_step(user=self.request.user, verified=False)
        if step:
            return f"{reverse(f'console:{step}')}?{urlencode({'next': url})}"
        return url

    def get_redirect_url(self) -> str:
        """A ``next`` pointing back at the login page would loop for a logged-in user (Django
        raises an error there): such a user goes to the console's home instead."""
        url = super().get_redirect_url()
        return "" if url.split("?", 1)[0] == self.request.path else url
