"""Pauses after repeated failed staff logins (against password guessing).

Counted in the shared counters (waarborg/core/counters.py: a database table or Redis), per
(user name, client address) pair, so an attacker elsewhere cannot pause the real user's own
logins, and with a wider limit per client address, so one client cannot try name after name.
A look-alike spelling of a user name (full-width, other case) counts as the same name, as the
login form reads it."""

from __future__ import annotations

import hashlib
import unicodedata

from waarborg.core.counters import counter_add, counter_delete, counter_get

# Failed logins allowed before a pause of LOGIN_PAUSE seconds: per user name from one address,
# and per address whatever the names.
LOGIN_FAILURES_PER_USER = 5
LOGIN_FAILURES_PER_ADDRESS = 20
LOGIN_PAUSE = 15 * 60


def _key(kind: str, value: str) -> str:  # hashed: any text makes a valid cache key
    return f"console-login-failures:{kind}:" + hashlib.sha256(value.encode()).hexdigest()


def _counters(username: str, address: str) -> list[tuple[str, int]]:
    name = unicodedata.normalize("NFKC", username).strip().casefold()
    return [
        (_key("user", f"{address}\x00{name}"), LOGIN_FAILURES_PER_USER),
        (_key("address", address), LOGIN_FAILURES_PER_ADDRESS),
    ]


def login_paused(*, username: str, address: str) -> bool:
    return any(counter_get(key) >= limit for key, limit in _counters(username, address))


def login_failed(*, username: str, address: str) -> None:
    for key, _limit in _counters(username, address):
        counter_add(key, ttl=LOGIN_PAUSE)


def login_succeeded(*, username: str, address: str) -> None:
    counter_delete(_counters(username, address)[0][0])
