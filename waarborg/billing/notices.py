"""The letter that tells a person their claim went to the collection agency (Art. 14 GDPR).

Sent after the approval commits, once per disclosure: a sender claims the row with one
conditional UPDATE, so two senders never both send it; a claim that never finished is free again
after CLAIM_TIMEOUT (``waarborg disclosures notify`` retries). The address is read through the
gate by the notices job, for the invoicing purpose, and audited like any read."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from waarborg.billing.models import Disclosure
from waarborg.core.actors import Actor
from waarborg.core.mail import mail_send
from waarborg.gate.services import Allowed, gate_fields
from waarborg.policy.selectors import policy_current

logger = logging.getLogger("waarborg.billing")
NOTICES = Actor(kind="system", name="billing-notices", scopes=frozenset({"invoicing"}))
CLAIM_TIMEOUT = timedelta(minutes=10)
TEMPLATE = "billing/mail/handover"


def notices_send_quietly(*, disclosure_ids: Iterable[int]) -> int:
    """Send each notice; a failure is logged, not raised (the handover is committed)."""
    sent = 0
    for pk in disclosure_ids:
        try:
            sent += notice_send(disclosure_id=pk)
        except Exception:
            logger.exception("notice %s not sent; `waarborg disclosures notify` retries", pk)
    return sent


def notices_pending() -> list[int]:
    return list(Disclosure.objects.filter(notice_sent_at__isnull=True).values_list("id", flat=True))


def _claim(pk: int) -> bool:
    now = timezone.now()
    free = Q(notice_claimed_at__isnull=True) | Q(notice_claimed_at__lt=now - CLAIM_TIMEOUT)
    rows = Disclosure.objects.filter(free, id=pk, notice_sent_at__isnull=True)
    return rows.update(notice_claimed_at=now) == 1


def notice_send(*, disclosure_id: int) -> bool:
    """True when the letter went now; False when sent before, held by another sender, or the
    gate no longer allows reading the person (erased meanwhile: nobody to write to)."""
    if not _claim(disclosure_id):
        return False
    row = Disclosure.objects.get(id=disclosure_id)
    try:
        found = gate_fields(actor=NOTICES, purpose="invoicing", subject=row.subject_id)
        if not isinstance(found, Allowed) or not found.fields.get("email"):
            return False
        controller = policy_current().policy.controller
        mail_send(
            to=found.fields["email"],
            template=TEMPLATE,
            language="en" if row.language == "en" else "nl",
            context={"name": found.fields.get("name", ""), "what": row.what, "c": controller},
            sender=(controller.trade_name, controller.contact_email),
            message_id=f"<disclosure-{row.pk}@{controller.contact_email.rpartition('@')[2]}>",
        )
    except BaseException:
        Disclosure.objects.filter(id=disclosure_id).update(notice_claimed_at=None)
        raise
    Disclosure.objects.filter(id=disclosure_id).update(notice_sent_at=timezone.now())
    return True
