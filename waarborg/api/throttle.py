"""The per-token rate limit, counted in this process's memory (``WAARBORG_API_RATE``)."""

from __future__ import annotations

from typing import Any

from ninja.throttling import AuthRateThrottle


class ProcessHistory:
    """Where the throttle keeps each token's recent request times: a plain dict.

    ninja's default store is Django's cache; the local-memory cache pickles a token's whole
    history on every request (about 60 us per API call at a few hundred requests a second), and
    the counts were per process anyway."""

    MAX_KEYS = 10_000  # tokens revoked or re-scoped leave keys behind; start afresh past this

    def __init__(self) -> None:
        self._histories: dict[str, list[float]] = {}

    def get(self, key: str, default: list[float]) -> list[float]:
        return self._histories.get(key, default)

    def set(self, key: str, value: list[float], timeout: Any = None) -> None:
        if key not in self._histories and len(self._histories) >= self.MAX_KEYS:
            self._histories.clear()
        self._histories[key] = value

    def clear(self) -> None:
        self._histories.clear()


class TokenRateThrottle(AuthRateThrottle):
    """At most N requests per token in a sliding window (429 with ``Retry-After`` above it)."""

    cache = ProcessHistory()  # type: ignore[assignment]
