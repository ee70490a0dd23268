"""System checks (``waarborg check``): requests must be answerable, and deadlines right."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Warning, register
from django.utils import timezone

from waarborg.rights.deadlines import EQUATED_UNTIL


@register("mail", deploy=True)
def mail_configured(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """Off debug, letters must reach people: an SMTP server and a public address for links."""
    found = []
    if not settings.DEBUG and settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
        found.append(
            Warning(
                "WAARBORG_SMTP_URL is not set: letters to requesters are written to var/mail/ "
                "and never sent.",
                hint="Set WAARBORG_SMTP_URL (or WAARBORG_SMTP_URL_FILE) to your mail server.",
                id="rights.W001",
            )
        )
    if not settings.DEBUG and not settings.WAARBORG_PUBLIC_URL.startswith("https://"):
        found.append(
            Warning(
                "WAARBORG_PUBLIC_URL is not an https:// address: confirmation links in mail "
                f"point to {settings.WAARBORG_PUBLIC_URL}.",
                hint="Set WAARBORG_PUBLIC_URL to the address people reach this server at.",
                id="rights.W002",
            )
        )
    return found


@register()
def holidays_known(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """Days a decree equates with holidays (art. 3 lid 3 Atw) are known up to EQUATED_UNTIL."""
    if timezone.localdate().year <= EQUATED_UNTIL:
        return []
    return [
        Warning(
            f"Deadlines know the days equated with holidays (art. 3 lid 3 Algemene termijnenwet) "
            f"only up to {EQUATED_UNTIL}.",
            hint="Add the decree for the coming years to waarborg/rights/deadlines.py EQUATED.",
            id="rights.W003",
        )
    ]
