"""The second step of logging in: setting up an authenticator app, and giving its code.

These pages show no personal data; they are open to any logged-in staff user (``staff_page``
sends a user here while their session lacks the second factor it needs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib.auth import views as auth_views
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login  # type: ignore[import-untyped]
from django_otp import user_has_device

from waarborg.access.logins import LOGIN_PAUSE, login_failed, login_paused, login_succeeded
from waarborg.access.mfa import mfa_verify, totp_confirm, totp_pending, totp_qr_svg, totp_secret
from waarborg.console.views import is_verified
from waarborg.core.clients import client_address

T = TypeVar("T")


def _next(request: HttpRequest) -> str:
    url = str(request.POST.get("next") or request.GET.get("next") or "")
    safe = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if url and safe else reverse("console:home")


def _who(request: HttpRequest) -> dict[str, str]:
    return {
        "username": request.user.get_username(),
        "address": client_address(request),
    }


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Asks for the code after the password. Wrong codes count toward the login pause."""
    user = request.user
    if not isinstance(user, User) or not user.is_active:
        return auth_views.redirect_to_login(request.get_full_path(), "console:login")
    target = _next(request)
    if is_verified(request) or not user_has_device(user):
        return redirect(target)
    context: dict[str, object] = {"next": target}
    status = 200
    if request.method == "POST":
        device, status = _attempt(request, context, lambda code: mfa_verify(user=user, code=code))
        if device is not None:
            otp_login(request, device)
            return redirect(target)
    return render(request, "console/mfa_verify.html", context, status=status)


@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: a QR code and the key as text, confirmed by a first code;
    then the recovery codes, shown this once."""
    user = request.user
    if not isinstance(user, User) or not user.is_active:
        return auth_views.redirect_to_login(request.get_full_path(), "console:login")
    target = _next(request)
    if user_has_device(user):
        if not is_verified(request):
            return auth_views.redirect_to_login(request.get_full_path(), "console:verify")
        return render(request, "console/mfa_enrol.html", {"done": True, "next": target})
    device = totp_pending(user=user)
    context: dict[str, object] = {
        "qr": mark_safe(totp_qr_svg(device)),  # noqa: S308 - segno's SVG of our own address
        "secret": totp_secret(device),
        "next": target,
    }
    status = 200
    if request.method == "POST":
        confirm = _attempt(request, context, lambda code: totp_confirm(user=user, code=code))
        enrolment, status = confirm
        if enrolment is not None:
            otp_login(request, enrolment.device)
            codes = {"codes": enrolment.recovery_codes, "next": target}
            return render(request, "console/mfa_codes.html", codes)
    return render(request, "console/mfa_enrol.html", context, status=status)


def _attempt(
    request: HttpRequest, context: dict[str, object], check: Callable[[str], T | None]
) -> tuple[T | None, int]:
    """One try of a code, counted like a password: refused while the login is paused; a wrong
    code counts toward the pause, the right one clears it. Returns what ``check`` found (None
    when refused) and the status of the page."""
    who = _who(request)
    if login_paused(**who):
        context["paused"] = LOGIN_PAUSE // 60
        return None, 429
    found = check(str(request.POST.get("code", "")))
    if found is None:
        login_failed(**who)
        context["wrong"] = True
        return None, 400
    login_succeeded(**who)
    return found, 200
