"""Writes about the policy: recording the version in force."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from waarborg.policy.loader import LoadedPolicy
from waarborg.policy.models import PolicyVersion
from waarborg.policy.schema import Policy


def policy_version_record(*, loaded: LoadedPolicy) -> tuple[PolicyVersion, bool]:
    """Record ``loaded`` as the version in force; return it and whether anything was written.

    A new policy adds a version. A policy recorded before that is not the one most recently put
    in force (edited A -> B -> A) is put in force again: its ``activated_at`` becomes now, its
    ``effective_at`` (when it first took effect) stays. An unchanged policy changes nothing.
    """
    latest = PolicyVersion.objects.order_by("-activated_at", "-id").first()
    if latest is not None and latest.digest == loaded.digest:
        return latest, False
    now = timezone.now()
    existing = PolicyVersion.objects.filter(digest=loaded.digest).first()
    if existing is not None:
        PolicyVersion.objects.filter(pk=existing.pk).update(activated_at=now)
        existing.activated_at = now
        return existing, True
    try:
        with transaction.atomic():
            version = PolicyVersion.objects.create(
                digest=loaded.digest,
                effective_at=now,
                activated_at=now,
                document=loaded.document,
                source=str(loaded.source),
            )
    except IntegrityError:  # another process recorded the same version a moment ago
        return PolicyVersion.objects.get(digest=loaded.digest), False
    return version, True


def policy_roles_sync(*, policy: Policy) -> int:
    """One Django group per policy role; groups of roles no longer in the policy lose members."""
    from django.contrib.auth.models import Group

    with transaction.atomic():
        for key in policy.roles:
            Group.objects.get_or_create(name=key)
        stale = Group.objects.exclude(name__in=list(policy.roles))
        for group in stale:
            group.user_set.clear()
    return len(policy.roles)
