"""Reads of the policy: the one in force, its recorded versions."""

from __future__ import annotations

import threading
from pathlib import Path

from django.conf import settings

from waarborg.policy.loader import LoadedPolicy, policy_read
from waarborg.policy.models import PolicyVersion

_lock = threading.Lock()
_cache: dict[Path, tuple[tuple[int, int], LoadedPolicy]] = {}


def policy_current() -> LoadedPolicy:
    """The policy in ``WAARBORG_POLICY``; re-read only when the file changes (size or mtime)."""
    path = Path(settings.WAARBORG_POLICY)
    try:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        stamp = (-1, -1)
    cached = _cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _lock:
        loaded = policy_read(path)
        _cache[path] = (stamp, loaded)
        return loaded


def policy_versions() -> list[PolicyVersion]:
    return list(PolicyVersion.objects.all())


def policy_version_get(*, digest: str) -> PolicyVersion | None:
    if len(digest) < 6:
        return None
    matches = list(PolicyVersion.objects.filter(digest__startswith=digest.lower())[:2])
    return matches[0] if len(matches) == 1 else None
