"""Withdrawal as easy as giving: the link and the headers every marketing message carries.

``unsubscribe_link`` is the visible link in the message; ``unsubscribe_headers`` are the
``List-Unsubscribe`` and ``List-Unsubscribe-Post`` headers of RFC 8058 (one-click): a mail
program POSTs ``List-Unsubscribe=One-Click`` to the link, without cookies or a login, and the
consent for that one purpose is withdrawn at once (``waarborg.consent.views.unsubscribe``).

The link carries a token signed with the server's secret key (HMAC): it names the subject and
the purpose, cannot be made for anyone else without the key, and works as long as the key does
(an unsubscribe link in an old newsletter must still work).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import quote, urlsplit
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _

from waarborg.core.errors import Refusal
from waarborg.policy.selectors import policy_current

SALT = "waarborg.consent.unsubscribe"
PATH = "/privacy/unsubscribe/"
BAD_TOKEN = _("This unsubscribe link is not valid. Please use the link in a message.")


def unsubscribe_token(*, subject_id: UUID, purpose: str) -> str:
    """A URL-safe signed token for ``(subject_id, purpose)``."""
    return signing.dumps([str(subject_id), purpose], salt=SALT, compress=True)


def unsubscribe_token_read(*, token: str) -> tuple[UUID, str]:
    """The subject and purpose a token names; ``bad_token`` for anything not made here."""
    try:
        subject, purpose = signing.loads(token, salt=SALT)
        return UUID(str(subject)), str(purpose)
    except (signing.BadSignature, ValueError, TypeError):
        raise Refusal("bad_token", BAD_TOKEN) from None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _base() -> str:
    """The public address; in production settings it must be HTTPS (RFC 8058 requires an HTTPS
    one-click URL), except on a loopback host, which never reaches a mailbox."""
    base = str(settings.WAARBORG_PUBLIC_URL).rstrip("/")
    parts = urlsplit(base)
    if parts.scheme != "https" and not settings.DEBUG and not _loopback(parts.hostname or ""):
        raise Refusal(
            "unsubscribe_not_https",
            _("WAARBORG_PUBLIC_URL must be an https:// address for unsubscribe links."),
        )
    return base


def unsubscribe_link(*, subject_id: UUID, purpose: str) -> str:
    """The link to show in a marketing message for ``purpose``: its page offers one-click
    withdrawal and the other purposes; a POST to it (RFC 8058) withdraws at once."""
    return f"{_base()}{PATH}{unsubscribe_token(subject_id=subject_id, purpose=purpose)}"


def unsubscribe_mailto(*, subject_id: UUID, purpose: str) -> str:
    """The ``mailto:`` alternative of ``List-Unsubscribe`` (RFC 2369): a mail to the controller's
    contact address whose subject carries the same token."""
    contact = policy_current().policy.controller.contact_email
    token = unsubscribe_token(subject_id=subject_id, purpose=purpose)
    return f"mailto:{contact}?subject={quote('unsubscribe ' + token)}"


def unsubscribe_headers(*, subject_id: UUID, purpose: str) -> dict[str, str]:
    """``List-Unsubscribe`` (HTTPS first, then mailto) and ``List-Unsubscribe-Post`` for one
    message. Plain ASCII on one line each, so they survive transport unchanged and a DKIM
    signature over them (which RFC 8058 asks for) stays valid."""
    link = unsubscribe_link(subject_id=subject_id, purpose=purpose)
    mailto = unsubscribe_mailto(subject_id=subject_id, purpose=purpose)
    return {
        "List-Unsubscribe": f"<{link}>, <{mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
