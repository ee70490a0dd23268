"""Who is asking: an API token's system, or a staff user's roles, as an Actor for the gate."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User

from waarborg.access.models import ApiSystem
from waarborg.access.tokens import token_cache_get, token_cache_put, token_digest
from waarborg.core.actors import Actor
from waarborg.policy.selectors import policy_current


def system_for_token(token: str) -> Actor | None:
    digest = token_digest(token)
    known, actor = token_cache_get(digest)
    if known:
        return actor
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
    token_cache_put(digest, actor)
    return actor


def staff_actor(user: AbstractBaseUser | AnonymousUser) -> Actor | None:
    """The staff user's roles are their groups that name a policy role; None if not staff."""
    if not isinstance(user, User) or not user.is_active:
        return None
    roles = policy_current().policy.roles
    names = set(user.groups.values_list("name", flat=True))
    return Actor(kind="staff", name=user.get_username(), roles=frozenset(names & set(roles)))


def systems_list() -> list[ApiSystem]:
    return list(ApiSystem.objects.all())
