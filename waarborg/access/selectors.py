"""Who is asking: an API token's system, or a staff user's roles, as an Actor for the gate."""

from __future__ import annotations

import time

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User

from waarborg.access.models import ApiSystem
from waarborg.access.services import token_digest
from waarborg.core.actors import Actor
from waarborg.policy.selectors import policy_current

# Each server process remembers a token's answer for TOKEN_TTL seconds: the lookup was a third of
# the database work of an API read. A revoked token therefore stops working in every process
# within TOKEN_TTL (at once in the process that revoked it).
TOKEN_TTL = 5.0
_MAX_CACHED = 10_000
_tokens: dict[str, tuple[float, Actor | None]] = {}


def system_for_token(token: str) -> Actor | None:
    digest = token_digest(token)
    now = time.monotonic()
    hit = _tokens.get(digest)
    if hit is not None and now - hit[0] < TOKEN_TTL:
        return hit[1]
    row = (
        ApiSystem.objects.filter(token_hash=digest, revoked_at__isnull=True)
        .only("id", "name", "purposes")
        .first()
    )
    actor = (
        None
        if row is None
        else Actor(kind="system", name=f"{row.name}#{row.pk}", scopes=frozenset(row.purposes))
    )
    if len(_tokens) >= _MAX_CACHED:
        _tokens.clear()
    _tokens[digest] = (now, actor)
    return actor


def token_cache_clear() -> None:
    _tokens.clear()


def staff_actor(user: AbstractBaseUser | AnonymousUser) -> Actor | None:
    """The staff user's roles are their groups that name a policy role; None if not staff."""
    if not isinstance(user, User) or not user.is_active:
        return None
    roles = policy_current().policy.roles
    names = set(user.groups.values_list("name", flat=True))
    return Actor(kind="staff", name=user.get_username(), roles=frozenset(names & set(roles)))


def systems_list() -> list[ApiSystem]:
    return list(ApiSystem.objects.all())
