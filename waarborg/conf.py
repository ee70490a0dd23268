"""Typed readers for settings that come from the environment.

Each reader raises ``ImproperlyConfigured`` with a plain sentence that names the variable, so a
misconfigured server stops with one clear line instead of a traceback.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import NamedTuple
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlsplit

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


def env_networks(name: str) -> list[IPv4Network | IPv6Network]:
    """Comma-separated IP addresses or networks (``10.0.0.5, 10.1.0.0/16``); empty when unset.
    One entry that is not an address stops the server: a typo must not trust nobody silently,
    nor everybody."""
    raw = env_str(name)
    if raw is None:
        return []
    networks: list[IPv4Network | IPv6Network] = []
    for item in raw.split(","):
        try:
            networks.append(ip_network(item.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list IP addresses or networks (10.0.0.5, 10.1.0.0/16), "
                f"not {item.strip()!r}."
            ) from None
    return networks


def env_cache(name: str, *, table: str) -> dict[str, object]:
    """Django's CACHES entry: Redis when ``name`` holds a ``redis://`` or ``rediss://`` URL, the
    database table ``table`` when unset. Any other value stops the server."""
    raw = env_str(name)
    if raw is None:
        # Room for the counters of many tokens and clients: past MAX_ENTRIES Django deletes a
        # third of the entries, which would reset some counts early.
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": table,
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    url = urlsplit(raw.strip())
    try:
        port_ok = url.port is None or url.port > 0
    except ValueError:
        port_ok = False
    if url.scheme not in ("redis", "rediss") or not url.hostname or not port_ok:
        raise ImproperlyConfigured(
            f"{name} must be a Redis URL such as redis://127.0.0.1:6379/0, or unset for the "
            "database cache."
        )
    return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": raw.strip()}


_RATE = re.compile(r"([1-9][0-9]{0,8})/(s|m|h|d)")


def env_rate(name: str, default: str) -> str:
    """A request rate such as ``600/m`` (per second, minute, hour or day)."""
    raw = env_str(name, default) or default
    if not _RATE.fullmatch(raw.strip()):
        raise ImproperlyConfigured(f"{name} must be a rate such as 600/m (N/s, N/m, N/h, N/d).")
    return raw.strip()


def session_idle_minutes() -> int:
    """Minutes without a request after which a staff session ends
    (WAARBORG_SESSION_IDLE_MINUTES)."""
    return env_int("WAARBORG_SESSION_IDLE_MINUTES", default=30, minimum=1, maximum=24 * 60)


def session_max_hours() -> int:
    """Hours after logging in at which a staff session ends, active or not
    (WAARBORG_SESSION_MAX_HOURS)."""
    return env_int("WAARBORG_SESSION_MAX_HOURS", default=10, minimum=1, maximum=7 * 24)


_SMTP_SCHEMES = {"smtp": False, "smtps": True}  # scheme -> implicit TLS


class Smtp(NamedTuple):
    host: str
    port: int
    user: str
    password: str
    ssl: bool  # TLS from the start (smtps://)
    starttls: bool


def env_smtp(name: str) -> Smtp | None:
    """Django's e-mail settings from an SMTP URL: ``smtp://user:password@host:587?starttls=1``
    (plain SMTP, upgraded with STARTTLS when asked; port 25 by default) or
    ``smtps://user:password@host`` (TLS from the start; port 465). None when unset. The user and
    password are URL-encoded (``%40`` for ``@``); the URL may come from ``NAME_FILE``, as a
    secret. Anything else stops the server."""
    raw = env_secret(name)
    if raw is None:
        return None
    url = urlsplit(raw.strip())
    problem = f"{name} must be an SMTP URL such as smtp://user:password@mail.example.nl:587"
    try:
        port = url.port
    except ValueError:
        raise ImproperlyConfigured(f"{problem} (the port is not a number).") from None
    query = dict(parse_qsl(url.query, keep_blank_values=True))
    starttls = query.pop("starttls", "0").lower()
    if (
        url.scheme not in _SMTP_SCHEMES
        or not url.hostname
        or query
        or starttls not in _TRUE | _FALSE
    ):
        raise ImproperlyConfigured(f"{problem}?starttls=1 or smtps://..., not {_redacted(url)}.")
    implicit = _SMTP_SCHEMES[url.scheme]
    if implicit and starttls in _TRUE:
        raise ImproperlyConfigured(f"{name}: smtps:// is TLS already; starttls=1 is for smtp://.")
    return Smtp(
        host=url.hostname,
        port=port or (465 if implicit else 25),
        user=unquote(url.username or ""),
        password=unquote(url.password or ""),
        ssl=implicit,
        starttls=starttls in _TRUE,
    )


def _redacted(url: SplitResult) -> str:
    """The URL as given, without its password, for an error message."""
    host = url.netloc.rpartition("@")[2]
    user = f"{url.username}:***@" if url.password else (f"{url.username}@" if url.username else "")
    return repr(f"{url.scheme}://{user}{host}{url.path}" + (f"?{url.query}" if url.query else ""))


@dataclass(frozen=True)
class MailUrl:
    """Where ``waarborg mail fetch`` reads the contact mailbox (``WAARBORG_MAIL_URL``)."""

    scheme: str  # "maildir", "imap" or "imaps"
    path: str = ""  # the Maildir's folder
    host: str = ""
    port: int = 0
    user: str = ""
    password: str = field(default="", repr=False)
    folder: str = "INBOX"

    @property
    def label(self) -> str:
        """The mailbox named without its password or port: in messages, and as what a handled
        mail is recorded against (the same mailbox reached another way is still the same)."""
        if self.scheme == "maildir":
            return f"maildir://{self.path}"
        return f"imap://{quote(self.user, safe='')}@{self.host}/{self.folder}"

    @property
    def where(self) -> str:
        """The mailbox as reached, without its password: for messages."""
        if self.scheme == "maildir":
            return self.label
        user = quote(self.user, safe="")
        return f"{self.scheme}://{user}@{self.host}:{self.port}/{self.folder}"


_MAIL_URL_HELP = (
    "a Maildir (maildir:///var/mail/privacy) or an IMAP mailbox "
    "(imaps://user:password@imap.example.nl:993/INBOX)"
)
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def mail_url_parse(name: str, raw: str) -> MailUrl:
    """``raw`` as a :class:`MailUrl`; ``ImproperlyConfigured`` naming ``name`` when it is not one.

    Plain ``imap://`` sends the password unencrypted, so it is accepted only to this machine
    (a local test server); anything across a network must be ``imaps://``."""
    url = urlsplit(raw.strip())
    if url.scheme == "maildir":
        if url.netloc or not url.path.startswith("/"):
            raise ImproperlyConfigured(
                f"{name} must name a Maildir by its absolute path, as maildir:///var/mail/privacy."
            )
        return MailUrl(scheme="maildir", path=unquote(url.path).rstrip("/") or "/")
    if url.scheme not in ("imap", "imaps"):
        raise ImproperlyConfigured(f"{name} must be {_MAIL_URL_HELP}.")
    try:
        port = url.port or (993 if url.scheme == "imaps" else 143)
    except ValueError:
        port = 0
    if not url.hostname or not url.username or url.password is None or port <= 0:
        raise ImproperlyConfigured(
            f"{name} must give a host, a user name and a password: {_MAIL_URL_HELP} "
            "(write an @ in the user name as %40)."
        )
    if url.scheme == "imap" and url.hostname not in _LOOPBACK_HOSTS:
        raise ImproperlyConfigured(
            f"{name}: imap:// would send the password unencrypted to {url.hostname}; use imaps:// "
            "(plain IMAP is accepted only to this machine)."
        )
    return MailUrl(
        scheme=url.scheme,
        host=url.hostname,
        port=port,
        user=unquote(url.username),
        password=unquote(url.password),
        folder=unquote(url.path.lstrip("/")) or "INBOX",
    )


def env_mail_url(name: str) -> MailUrl | None:
    """The mailbox of ``name`` (or of the file ``name_FILE``: the URL holds a password); None
    when unset."""
    raw = env_secret(name)
    return None if raw is None else mail_url_parse(name, raw)
