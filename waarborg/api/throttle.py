"""API rate limits, counted in the shared store so every server process sees one count.

Per token: ``WAARBORG_API_RATE``. Per client address, for requests without a valid token:
``WAARBORG_API_ANONYMOUS_RATE`` (so guessing tokens or flooding the API unauthenticated is
limited too). Counters are fixed windows (one integer per key and window, in
waarborg/core/counters.py). A window allows a burst of up to twice the rate across its edge;
the rate over any two windows stays within twice the limit.

A token's count is taken in slices: a process that answers a token's request claims the next
``limit / 20`` numbers of the window (at most 100) from the shared counter in one step and then
answers that many requests without asking again. Slices never overlap, so all processes together
never answer more than the limit; a slice a process does not use up is lost with its window, so
a token spread over several processes may get somewhat fewer (at most 1/20 of the limit per
process). A limit under 20 is counted one request at a time, as before."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.errors import Throttled
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle

from waarborg.access.tokens import token_cache_get, token_digest
from waarborg.core.actors import Actor
from waarborg.core.clients import client_address
from waarborg.core.counters import counter_add, counter_get

SLICE_SHARE = 20
SLICE_MAX = 100
_MAX_SLICES = 10_000
# What this process may still answer per counter key: (window, numbers left of its slice).
_slices: dict[str, tuple[int, int]] = {}
_token_keys: dict[object, str] = {}  # an actor's counter key, worked out once per process


def count_request(key: str, *, duration: int, by: int = 1) -> tuple[int, float]:
    """Count ``by`` requests under ``key`` in the current window of ``duration`` seconds: the count
    so far (these included) and the seconds until the window ends."""
    now = time.time()
    window = int(now // duration)
    count = counter_add(f"rate:{key}:{window}", by=by, ttl=duration + 1)
    return count, (window + 1) * duration - now


def rate_take(key: str, *, limit: int, duration: int) -> tuple[bool, float]:
    """Whether one more request under ``key`` is within ``limit`` per window, and the seconds until
    the window ends; asks the shared counter only when this process's slice is used up."""
    now = time.time()
    window = int(now // duration)
    held = _slices.get(key)
    if held is not None and held[0] == window and held[1] > 0:
        _slices[key] = (window, held[1] - 1)
        return True, (window + 1) * duration - now
    size = max(1, min(limit // SLICE_SHARE, SLICE_MAX))
    end, remaining = count_request(key, duration=duration, by=size)
    granted = min(end, limit) - (end - size)  # this process's numbers that are within the limit
    if len(_slices) >= _MAX_SLICES:
        _slices.clear()
    _slices[key] = (window, max(granted - 1, 0))
    return granted > 0, remaining


def rate_slices_forget() -> None:
    """Forget the slices this process holds (tests that start every count from zero)."""
    _slices.clear()


class TokenRateThrottle(SimpleRateThrottle):
    """At most N requests per token in a window (429 with ``Retry-After`` above it)."""

    cache = cache  # ``clear()`` resets every count (tests)

    def __init__(self, rate: str | None = None) -> None:
        super().__init__(rate)
        self._wait: float | None = None

    def get_cache_key(self, request: HttpRequest) -> str | None:
        auth = getattr(request, "auth", None)
        if auth is None:
            return None
        key = _token_keys.get(auth)
        if key is None:
            if len(_token_keys) >= _MAX_SLICES:
                _token_keys.clear()
            key = "token:" + hashlib.sha256(str(auth).encode()).hexdigest()[:32]
            _token_keys[auth] = key
        return key

    def allow_request(self, request: HttpRequest) -> bool:
        key = self.get_cache_key(request)
        if key is None or self.num_requests is None or self.duration is None:
            return True
        allowed, remaining = rate_take(key, limit=self.num_requests, duration=self.duration)
        self._wait = remaining
        return allowed

    def wait(self) -> float | None:
        return self._wait


class ClientLimitedBearer(HttpBearer):
    """A bearer-token check that counts requests without a valid token per client address and
    answers 429, before looking a token up, once a client is over ``WAARBORG_API_ANONYMOUS_RATE``.
    A token this process already knows as valid skips the check: the usual request pays nothing
    for it, and its own limit (``TokenRateThrottle``) holds."""

    anonymous = SimpleRateThrottle(settings.WAARBORG_API_ANONYMOUS_RATE)

    def _key(self, request: HttpRequest) -> str:
        return "client:" + hashlib.sha256(client_address(request).encode()).hexdigest()[:32]

    def _over(self, request: HttpRequest) -> bool:
        limit, duration = self.anonymous.num_requests, self.anonymous.duration
        if limit is None or duration is None:
            return False
        window = int(time.time() // duration)
        return counter_get(f"rate:{self._key(request)}:{window}") >= limit

    def known(self, request: HttpRequest) -> Actor | None:
        """The system of the request's token when this process already knows it as valid."""
        scheme, _, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not token:
            return None
        _known, actor = token_cache_get(token_digest(token))
        return actor

    def __call__(self, request: HttpRequest) -> Any:
        actor = self.known(request)
        if actor is not None:
            return actor
        if self._over(request):
            raise Throttled(wait=None)
        result = super().__call__(request)
        if not result:
            count_request(self._key(request), duration=self.anonymous.duration or 60)
        return result
