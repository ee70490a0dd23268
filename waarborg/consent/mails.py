"""The double opt-in mail: sent after the sign-up commits, recorded once as sent.

The address is the one typed in the form, used while the request is answered and not kept
outside the vault; a mail that fails is logged, and the person who signs up again gets a new
link (the older code stops working)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone

from waarborg.consent.models import OptinMail
from waarborg.core.i18n import Lang
from waarborg.core.mail import mail_send
from waarborg.policy.schema import localized
from waarborg.policy.selectors import policy_current

logger = logging.getLogger("waarborg.consent")
CONFIRM_PATH = "/privacy/subscribe/confirm/"
# How long the link works: the vault's CONFIRM_WITHIN (waarborg.vault.ledger), in days.
CONFIRM_DAYS = 7


def confirm_url(*, token: str) -> str:
    return f"{str(settings.WAARBORG_PUBLIC_URL).rstrip('/')}{CONFIRM_PATH}{token}"


def optin_mail_send(*, mail_id: int, to: str, token: str) -> bool:
    """Send the confirmation mail unless it went already; True when sent now."""
    claimed = OptinMail.objects.filter(id=mail_id, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    if claimed != 1:
        return False
    mail = OptinMail.objects.get(id=mail_id)
    policy = policy_current().policy
    controller = policy.controller
    lang: Lang = "en" if mail.lang == "en" else "nl"
    domain = controller.contact_email.rpartition("@")[2] or "localhost"
    message_id = f"<optin-{mail.pk}.{mail.subject_id}@{domain}>"
    try:
        mail_send(
            to=to,
            template="consent/mail/optin",
            language=lang,
            context={
                "controller": controller,
                "purposes": [localized(policy.purposes[p].name, lang) for p in mail.purposes],
                "confirm_url": f"{confirm_url(token=token)}?lang={lang}",
                "confirm_days": CONFIRM_DAYS,
            },
            sender=(controller.trade_name, controller.contact_email),
            message_id=message_id,
        )
    except BaseException:
        OptinMail.objects.filter(id=mail_id).update(sent_at=None)
        raise
    OptinMail.objects.filter(id=mail_id).update(message_id=message_id)
    return True


def optin_mail_send_quietly(*, mail_id: int, to: str, token: str) -> bool:
    """``optin_mail_send``, a failure logged: the consent is recorded (pending) already."""
    try:
        return optin_mail_send(mail_id=mail_id, to=to, token=token)
    except Exception:
        logger.exception("opt-in mail %s not sent", mail_id)
        return False
