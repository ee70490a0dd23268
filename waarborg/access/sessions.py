"""Staff sessions end after a time without requests and after a fixed time since logging in.

The times are kept in the session itself (seconds since the epoch): when it was started and when
it was last used. "Last used" is rewritten at most once a minute, so a busy user does not cause a
session write on every request."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

STARTED = "waarborg_session_started"
SEEN = "waarborg_session_seen"
SEEN_PRECISION = 60  # seconds


def session_ended(*, started: float, seen: float, now: float) -> str:
    """Why the session is over ("idle", "limit"), or "" while it may go on."""
    if now - started >= settings.WAARBORG_SESSION_MAX_HOURS * 3600:
        return "limit"
    if now - seen >= settings.WAARBORG_SESSION_IDLE_MINUTES * 60:
        return "idle"
    return ""


def session_start(sender: object, request: HttpRequest | None, **kwargs: object) -> None:
    """On logging in (the user_logged_in signal): the session's clocks start now."""
    if request is not None:
        now = time.time()
        request.session[STARTED] = now
        request.session[SEEN] = now


def session_limits_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return get_response(request)
        session, now = request.session, time.time()
        started = float(session.get(STARTED, now))
        seen = float(session.get(SEEN, now))
        why = session_ended(started=started, seen=seen, now=now)
        if why:
            logout(request)
            messages.info(request, _ended_message(why))
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if STARTED not in session:
            session[STARTED] = now
        if SEEN not in session or now - seen >= SEEN_PRECISION:
            session[SEEN] = now
        return get_response(request)

    return middleware


def _ended_message(why: str) -> str:
    if why == "limit":
        return _(
            "You were logged out because you have been logged in for %(hours)d hours. "
            "Log in again to continue."
        ) % {"hours": settings.WAARBORG_SESSION_MAX_HOURS}
    return _(
        "You were logged out because you did nothing for %(minutes)d minutes. "
        "Log in again to continue."
    ) % {"minutes": settings.WAARBORG_SESSION_IDLE_MINUTES}
