"""One campaign message: the marketer's text in Dutch and English, a visible unsubscribe link
in both, and the RFC 8058 headers.

DKIM-ready: only headers a signer covers and no relay rewrites (no ``Precedence`` or tracking
headers added after signing), plain text in UTF-8, one stable Message-ID per delivery."""

from __future__ import annotations

import re
from email.utils import formataddr
from uuid import UUID

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from waarborg.campaigns.links import unsubscribe_for
from waarborg.campaigns.models import Campaign
from waarborg.policy.selectors import policy_current


def _part(text: str, link: str, language: str) -> str:
    with translation.override(language):
        footer = _("Unsubscribe from these messages: %(link)s") % {"link": link}
    return f"{text.strip()}\n\n-- \n{footer}\n"


def message_body(campaign: Campaign, link: str) -> str:
    """The Dutch text, then the English one, each followed by the unsubscribe link."""
    return (
        _part(campaign.text_nl, link, "nl")
        + "\n----------------------------------------\n\n"
        + _part(campaign.text_en, link, "en")
    )


MESSAGE_ID = re.compile(r"^<?campaign-(\d{1,18})\.(\d{1,18})\.([0-9a-f]{20})@[^>\s]+>?$")
_TAG_SALT = "waarborg.campaigns.message-id"


def _tag(campaign_id: int, delivery_id: int, secret: str | bytes | None = None) -> str:
    value = f"{campaign_id}.{delivery_id}"
    return salted_hmac(_TAG_SALT, value, secret=secret, algorithm="sha256").hexdigest()[:20]


def message_id(campaign_id: int, delivery_id: int, domain: str) -> str:
    """``<campaign-C.D.TAG@domain>``: campaign, delivery, and a tag made with the server's
    secret key, so a bounce or complaint that reaches the contact mailbox (which anyone can
    write to) counts only when it quotes a Message-ID we sent, never a guessed one."""
    return f"<campaign-{campaign_id}.{delivery_id}.{_tag(campaign_id, delivery_id)}@{domain}>"


def message_id_delivery(value: str) -> int | None:
    """The delivery a bounce or complaint is about, from the Message-ID it quotes; None for
    anything we did not send (the tag is checked against the secret key and its fallbacks)."""
    found = MESSAGE_ID.match(value.strip())
    if not found:
        return None
    campaign_id, delivery_id, tag = int(found.group(1)), int(found.group(2)), found.group(3)
    for secret in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS):
        if constant_time_compare(tag, _tag(campaign_id, delivery_id, secret)):
            return delivery_id
    return None


def message_build(
    *, campaign: Campaign, delivery_id: int, subject_id: UUID, to: str
) -> EmailMessage:
    controller = policy_current().policy.controller
    domain = controller.contact_email.rpartition("@")[2] or "localhost"
    link, headers = unsubscribe_for(subject_id=subject_id, purpose=campaign.purpose)
    return EmailMessage(
        subject=f"{campaign.subject_nl} / {campaign.subject_en}",
        body=message_body(campaign, link),
        from_email=formataddr((str(controller.trade_name), controller.contact_email)),
        to=[to],
        headers={
            "Message-ID": message_id(campaign.pk, delivery_id, domain),
            "Content-Language": "nl, en",
            **headers,
        },
    )
