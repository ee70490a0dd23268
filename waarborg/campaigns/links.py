"""The unsubscribe link and RFC 8058 headers every campaign message carries.

The consent area owns unsubscribing: ``waarborg.consent.unsubscribe_link`` and
``unsubscribe_headers`` (with the one-click endpoint behind them). Until that area ships them,
this module signs the same kind of link itself so that no message ever goes out without one;
the day the consent area has them, they are used and this fallback is dead code to delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast
from uuid import UUID

from django.conf import settings
from django.core import signing

import waarborg.consent as consent

SALT = "waarborg.unsubscribe"
ONE_CLICK = "List-Unsubscribe=One-Click"


def _fallback_link(*, subject_id: UUID, purpose: str) -> str:
    token = signing.dumps({"s": str(subject_id), "p": purpose}, salt=SALT, compress=True)
    return f"{settings.WAARBORG_PUBLIC_URL}/privacy/unsubscribe/{token}"


def _fallback_headers(*, subject_id: UUID, purpose: str) -> dict[str, str]:
    link = _fallback_link(subject_id=subject_id, purpose=purpose)
    return {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": ONE_CLICK}


def unsubscribe_for(*, subject_id: UUID, purpose: str) -> tuple[str, dict[str, str]]:
    """The visible link and the two headers for one person and purpose."""
    link = cast(Callable[..., str], getattr(consent, "unsubscribe_link", _fallback_link))
    headers = cast(
        Callable[..., dict[str, str]], getattr(consent, "unsubscribe_headers", _fallback_headers)
    )
    return link(subject_id=subject_id, purpose=purpose), headers(
        subject_id=subject_id, purpose=purpose
    )
