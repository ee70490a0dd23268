"""API tokens: how a token is hashed, and the short per-process memory of what a hash stands for.

Each server process remembers a token's answer for TOKEN_TTL seconds: the lookup was a third of
the database work of an API read. A revoked token therefore stops working in every process
within TOKEN_TTL (at once in the process that revoked it)."""

from __future__ import annotations

import hashlib
import time

from waarborg.core.actors import Actor

TOKEN_TTL = 5.0
_MAX_CACHED = 10_000
_tokens: dict[str, tuple[float, Actor | None]] = {}


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_cache_get(digest: str) -> tuple[bool, Actor | None]:
    """``(True, actor)`` when this process still remembers the answer for ``digest``."""
    hit = _tokens.get(digest)
    if hit is not None and time.monotonic() - hit[0] < TOKEN_TTL:
        return True, hit[1]
    return False, None


def token_cache_put(digest: str, actor: Actor | None) -> None:
    if len(_tokens) >= _MAX_CACHED:
        _tokens.clear()
    _tokens[digest] = (time.monotonic(), actor)


def token_cache_clear() -> None:
    _tokens.clear()
