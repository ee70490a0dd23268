"""API rate limits, counted in the shared cache so every server process sees one count.

Per token: ``WAARBORG_API_RATE``. Per client address, for requests without a valid token:
``WAARBORG_API_ANONYMOUS_RATE`` (so guessing tokens or flooding the API unauthenticated is
limited too). Counters are fixed windows (one integer per key and window) rather than a list of
request times: one small read and write per request in the database cache or Redis, where a
history would be rewritten whole. A window allows a burst of up to twice the rate across its
edge; the rate over any two windows stays within twice the limit."""

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
from waarborg.core.clients import client_address


def count_request(key: str, *, duration: int) -> tuple[int, float]:
    """Count one request under ``key`` in the current window of ``duration`` seconds: the count so
    far (this one included) and the seconds until the window ends."""
    now = time.time()
    window = int(now // duration)
    full_key = f"rate:{key}:{window}"
    try:
        count = cache.incr(full_key)
    except ValueError:  # the first request of this window (or the key expired meanwhile)
        # Another process may have added it first: then count on from its value.
        count = 1 if cache.add(full_key, 1, duration + 1) else cache.incr(full_key)
    return count, (window + 1) * duration - now


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
        return "token:" + hashlib.sha256(str(auth).encode()).hexdigest()[:32]

    def allow_request(self, request: HttpRequest) -> bool:
        key = self.get_cache_key(request)
        if key is None or self.num_requests is None or self.duration is None:
            return True
        count, remaining = count_request(key, duration=self.duration)
        self._wait = remaining
        return count <= self.num_requests

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
        return int(cache.get(f"rate:{self._key(request)}:{window}", 0)) >= limit

    def __call__(self, request: HttpRequest) -> Any:
        scheme, _, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() == self.openapi_scheme and token:
            known, actor = token_cache_get(token_digest(token))
            if known and actor is not None:
                return actor
        if self._over(request):
            raise Throttled(wait=None)
        result = super().__call__(request)
        if not result:
            count_request(self._key(request), duration=self.anonymous.duration or 60)
        return result
