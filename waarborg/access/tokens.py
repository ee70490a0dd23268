"""API tokens: how a token is hashed, and the short per-process memory of what a hash stands for.

Each server process remembers a token's answer for TOKEN_TTL seconds: the lookup was a third of
the database work of an API read. A revocation must not wait for that memory to fade in other
processes, so the shared cache holds a revocation generation: revoking changes it (when the
revocation commits), and a process that sees a generation other than the one its memory was
filled under forgets every token it remembered. The process that revokes forgets at once; every
other process reads the generation at most once per REVOCATION_CHECK seconds, so a revoked
token is refused everywhere within that second. Reading it on every request cost a database
round trip per API read (with the database cache), a seventh of a gated read's work."""

from __future__ import annotations

import hashlib
import time
import uuid

from django.core.cache import cache
from django.db import transaction

from waarborg.core.actors import Actor

TOKEN_TTL = 5.0
REVOCATION_CHECK = 1.0
GENERATION_KEY = "access:token-generation"
_MAX_CACHED = 10_000
_tokens: dict[str, tuple[float, Actor | None]] = {}
_generation: list[object] = [None]  # the shared generation this process's memory belongs to
_checked = [float("-inf")]  # when this process last read it (time.monotonic)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _current() -> None:
    """Forget what this process remembers when a token was revoked anywhere since (read at most
    once per REVOCATION_CHECK seconds)."""
    now = time.monotonic()
    if now - _checked[0] < REVOCATION_CHECK:
        return
    _checked[0] = now
    shared = cache.get(GENERATION_KEY)
    if shared != _generation[0]:
        _tokens.clear()
        _generation[0] = shared


def token_cache_get(digest: str) -> tuple[bool, Actor | None]:
    """``(True, actor)`` when this process still remembers the answer for ``digest``. Checks the
    revocation generation first, also on a miss: an answer read from the database after this
    check is forgotten at the next check if a revocation came in between."""
    _current()
    hit = _tokens.get(digest)
    if hit is not None and time.monotonic() - hit[0] < TOKEN_TTL:
        return True, hit[1]
    return False, None


def token_cache_put(digest: str, actor: Actor | None) -> None:
    if len(_tokens) >= _MAX_CACHED:
        _tokens.clear()
    _tokens[digest] = (time.monotonic(), actor)


def _revoked() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)
    _tokens.clear()


def token_cache_clear() -> None:
    """A token was revoked or changed: forget it here now, and in every process once the change
    is committed (earlier, another process could read the old row again and remember it)."""
    _tokens.clear()
    transaction.on_commit(_revoked)
