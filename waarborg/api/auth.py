"""The system a request authenticated as, for every API view."""

from __future__ import annotations

from django.http import HttpRequest

from waarborg.core.actors import Actor


def request_actor(request: HttpRequest) -> Actor:
    auth = getattr(request, "auth", None)
    if not isinstance(auth, Actor):  # the router's auth ran first; this is only the type
        raise TypeError("an API view without an authenticated system")
    return auth
