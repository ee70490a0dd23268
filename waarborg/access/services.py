"""API systems and their tokens. A token is shown once; only its SHA-256 is stored."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waarborg.access.models import ApiSystem
from waarborg.access.tokens import token_cache_clear, token_digest
from waarborg.audit.services import audit_record
from waarborg.core.actors import Actor
from waarborg.core.errors import Refusal, text_format
from waarborg.policy.selectors import policy_current

TOKEN_PREFIX = "wb_"  # noqa: S105 - a marker, not a secret


class AccessError(Refusal):
    """A token or staff account that cannot be made as asked; nothing was stored."""


@dataclass(frozen=True)
class IssuedToken:
    system: ApiSystem
    token: str


def token_create(*, actor: Actor, system: str, purposes: list[str]) -> IssuedToken:
    policy = policy_current().policy
    unknown = [p for p in purposes if p not in policy.purposes]
    if unknown or not purposes or not system.strip():
        message = _("Give a system name and existing purposes (unknown: %(unknown)s).")
        raise AccessError("bad_scope", text_format(message, unknown=", ".join(unknown)))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        row = ApiSystem.objects.create(
            name=system.strip(),
            purposes=sorted(set(purposes)),
            token_prefix=token[:10],
            token_hash=token_digest(token),
            created_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action="token.create",
            detail={"system": row.name, "purposes": row.purposes, "token": row.token_prefix},
        )
    return IssuedToken(system=row, token=token)


def token_revoke(*, actor: Actor, prefix: str) -> int:
    """Revoke at once in this process; other server processes stop accepting the token within
    ``tokens.TOKEN_TTL`` seconds."""
    with transaction.atomic():
        rows = list(ApiSystem.objects.filter(token_prefix=prefix, revoked_at__isnull=True))
        for row in rows:
            row.revoked_at = timezone.now()
            row.save(update_fields=["revoked_at"])
            audit_record(
                actor=actor,
                action="token.revoke",
                detail={"system": row.name, "token": row.token_prefix},
            )
    token_cache_clear()
    return len(rows)


def staff_create(*, actor: Actor, username: str, password: str, roles: list[str]) -> None:
    """Create a staff login bound to policy roles (Django groups). Passwords hashed with Argon2."""
    from django.contrib.auth.models import Group, User
    from django.contrib.auth.password_validation import validate_password

    policy = policy_current().policy
    unknown = [r for r in roles if r not in policy.roles]
    if unknown:
        message = _("Unknown role: %(unknown)s.")
        raise AccessError("unknown_role", text_format(message, unknown=", ".join(unknown)))
    validate_password(password)
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password)
        for role in roles:
            group, _created = Group.objects.get_or_create(name=role)
            user.groups.add(group)
        audit_record(actor=actor, action="staff.create", detail={"user": username, "roles": roles})
