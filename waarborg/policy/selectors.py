"""Reads of the policy: the one in force, its recorded versions."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from django.conf import settings

from waarborg.policy.loader import LoadedPolicy, PolicyInvalid, policy_read
from waarborg.policy.models import PolicyVersion

logger = logging.getLogger("waarborg.policy")

Stamp = tuple[int, int]
_lock = threading.Lock()
_cache: dict[Path, tuple[Stamp, LoadedPolicy]] = {}
_rejected: dict[Path, Stamp] = {}  # the stamp of an invalid file already reported, per path


def _stamp(path: Path) -> Stamp:
    try:
        stat = path.stat()
    except OSError:
        return (-1, -1)
    return (stat.st_mtime_ns, stat.st_size)


_paths: dict[str, Path] = {}


def _path_of(name: str | Path) -> Path:
    """The setting as a Path, made once (this runs on every gate call)."""
    key = str(name)
    found = _paths.get(key)
    if found is None:
        found = _paths[key] = Path(name)
    return found


def policy_current() -> LoadedPolicy:
    """The policy in ``WAARBORG_POLICY``; re-read only when the file changes (size or mtime).

    If the file becomes invalid (or unreadable) after a valid policy was loaded from it in this
    process, that last valid policy stays in force and the problems are logged once per change
    of the file, so a bad edit does not turn every page and gate call into an error. Without an
    earlier valid policy, ``PolicyInvalid`` is raised: start-up refuses an invalid policy.
    """
    path = _path_of(settings.WAARBORG_POLICY)
    stamp = _stamp(path)
    cached = _cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _lock:
        cached = _cache.get(path)
        if cached is not None and (cached[0] == stamp or _rejected.get(path) == stamp):
            return cached[1]
        try:
            loaded = policy_read(path)
        except PolicyInvalid as exc:
            if cached is None:
                raise
            _rejected[path] = stamp
            logger.error(
                "The policy file %s is invalid; version %s, loaded before, stays in force.\n%s",
                path,
                cached[1].digest[:12],
                exc.report(),
            )
            return cached[1]
        _rejected.pop(path, None)
        _cache[path] = (stamp, loaded)
        return loaded


def policy_versions() -> list[PolicyVersion]:
    return list(PolicyVersion.objects.all())


def policy_version_get(*, digest: str) -> PolicyVersion | None:
    if len(digest) < 6:
        return None
    matches = list(PolicyVersion.objects.filter(digest__startswith=digest.lower())[:2])
    return matches[0] if len(matches) == 1 else None
