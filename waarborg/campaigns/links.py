"""The unsubscribe link and RFC 8058 headers every campaign message carries, from the consent
area (``waarborg.consent.unsubscribe``, whose one-click POST withdraws the consent at once)."""

from __future__ import annotations

from uuid import UUID

from waarborg.consent.unsubscribe import unsubscribe_headers, unsubscribe_link


def unsubscribe_for(*, subject_id: UUID, purpose: str) -> tuple[str, dict[str, str]]:
    """The visible link and the two headers for one person and purpose."""
    link = unsubscribe_link(subject_id=subject_id, purpose=purpose)
    return link, unsubscribe_headers(subject_id=subject_id, purpose=purpose)
