"""Typed readers for settings that come from the environment.

Each reader raises ``ImproperlyConfigured`` with a plain sentence that names the variable, so a
misconfigured server stops with one clear line instead of a traceback.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name: str, *, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0 (true/false), not {raw!r}.")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    raw = env_str(name)
    return Path(raw) if raw else default


def env_secret(name: str) -> str | None:
    """Read a secret from ``NAME`` or from the file named by ``NAME_FILE`` (not both)."""
    direct = env_str(name)
    file_name = env_str(f"{name}_FILE")
    if direct and file_name:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    if file_name:
        try:
            value = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE points to {file_name}, which cannot be read: {exc.strerror}."
            ) from None
        if not value:
            raise ImproperlyConfigured(f"{name}_FILE points to {file_name}, which is empty.")
        return value
    return direct


def env_int(name: str, *, default: int, minimum: int, maximum: int) -> int:
    """A whole number within ``minimum``..``maximum``; anything else stops the server."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}, not {value}.")
    return value


_HEADER_NAME = re.compile(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*")


def env_proxy_https_header(name: str) -> tuple[str, str] | None:
    """The request header a TLS-terminating proxy sets to ``https`` (e.g. ``X-Forwarded-Proto``),
    as Django's ``SECURE_PROXY_SSL_HEADER``; None when not behind such a proxy.

    Only set it when the proxy also removes that header from what clients send: otherwise any
    client can claim its plain HTTP request was HTTPS."""
    raw = env_str(name)
    if raw is None:
        return None
    header = raw.strip()
    if not _HEADER_NAME.fullmatch(header):
        raise ImproperlyConfigured(
            f"{name} must be the name of a request header, such as X-Forwarded-Proto, not {raw!r}."
        )
    return ("HTTP_" + header.upper().replace("-", "_"), "https")


def session_idle_minutes() -> int:
    """Minutes without a request after which a staff session ends
    (WAARBORG_SESSION_IDLE_MINUTES)."""
    return env_int("WAARBORG_SESSION_IDLE_MINUTES", default=30, minimum=1, maximum=24 * 60)


def session_max_hours() -> int:
    """Hours after logging in at which a staff session ends, active or not
    (WAARBORG_SESSION_MAX_HOURS)."""
    return env_int("WAARBORG_SESSION_MAX_HOURS", default=10, minimum=1, maximum=7 * 24)
