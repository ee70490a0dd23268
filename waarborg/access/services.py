"""API systems and their tokens. A token is shown once; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from waarborg.access.models import ApiSystem
from waarborg.audit.services import audit_record
from waarborg.core.actors import Actor, Message
from waarborg.policy.selectors import policy_current

TOKEN_PREFIX = "wb_"  # noqa: S105 - a marker, not a secret


class AccessError(Exception):
    def __init__(self, code: str, message: Message) -> None:
        super().__init__(message.en)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class IssuedToken:
    system: ApiSystem
    token: str


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_create(*, actor: Actor, system: str, purposes: list[str]) -> IssuedToken:
    policy = policy_current().policy
    unknown = [p for p in purposes if p not in policy.purposes]
    if unknown or not purposes or not system.strip():
        raise AccessError(
            "bad_scope",
            Message(
                f"Geef een systeemnaam en bestaande doeleinden (onbekend: {', '.join(unknown)}).",
                f"Give a system name and existing purposes (unknown: {', '.join(unknown)}).",
            ),
        )
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
    ``selectors.TOKEN_TTL`` seconds."""
    from waarborg.access.selectors import token_cache_clear

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
        raise AccessError(
            "unknown_role",
            Message(
                f"Onbekende rol: {', '.join(unknown)}.", f"Unknown role: {', '.join(unknown)}."
            ),
        )
    validate_password(password)
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password)
        for role in roles:
            group, _ = Group.objects.get_or_create(name=role)
            user.groups.add(group)
        audit_record(actor=actor, action="staff.create", detail={"user": username, "roles": roles})
