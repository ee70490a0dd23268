"""Writes of campaigns: write or change a draft, start sending, record bounces and complaints.
Each writes its audit entry in the transaction of its change."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waarborg.campaigns.audience import audience_build
from waarborg.campaigns.message import message_id_delivery
from waarborg.campaigns.models import Campaign, Delivery, MailEvent, Suppression
from waarborg.core.actors import Actor
from waarborg.core.errors import Refusal
from waarborg.gate.records import gate_email_index, gate_event
from waarborg.gate.services import Refused, gate_purpose_refusal
from waarborg.gate.words import reason_words


@dataclass(frozen=True)
class Draft:
    purpose: str
    name: str
    subject_nl: str
    subject_en: str
    text_nl: str
    text_en: str


def _checked(actor: Actor, draft: Draft) -> None:
    reason = gate_purpose_refusal(actor=actor, purpose=draft.purpose)
    if reason:
        raise Refusal(reason, reason_words(reason))
    missing = {
        name: _("This field is required.")
        for name in ("name", "subject_nl", "subject_en", "text_nl", "text_en")
        if not getattr(draft, name).strip()
    }
    if missing:
        raise Refusal("invalid", _("Fill in every field."), missing)


def campaign_save(*, actor: Actor, draft: Draft, campaign_id: int | None = None) -> Campaign:
    """Write a new draft, or change one that has not started sending."""
    _checked(actor, draft)
    with transaction.atomic():
        if campaign_id is None:
            campaign = Campaign(created_by=actor.label, created_at=timezone.now())
        else:
            campaign = Campaign.objects.select_for_update().get(id=campaign_id)
            if campaign.state != Campaign.State.DRAFT:
                raise Refusal("campaign_started", _("A campaign that was sent cannot change."))
        for name, value in vars(draft).items():
            setattr(campaign, name, value.strip())
        campaign.save()
        gate_event(
            actor=actor,
            action="campaign.save",
            purpose=campaign.purpose,
            detail={"campaign": campaign.pk},
        )
    return campaign


def campaign_start(*, actor: Actor, campaign_id: int) -> int:
    """Build the audience of a draft and mark it sending; how many people it goes to. The mail
    itself goes out in batches (``sending.campaign_send``), from the command or the worker."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(id=campaign_id)
        if campaign.state != Campaign.State.DRAFT:
            raise Refusal("campaign_started", _("This campaign has been sent already."))
        reason = gate_purpose_refusal(actor=actor, purpose=campaign.purpose)
        if reason:
            raise Refusal(reason, reason_words(reason))
        added = audience_build(campaign=campaign)
        if isinstance(added, Refused):
            raise Refusal(added.reason, added.message)
        campaign.state, campaign.started_at = Campaign.State.SENDING, timezone.now()
        campaign.save(update_fields=["state", "started_at"])
        gate_event(
            actor=actor,
            action="campaign.start",
            purpose=campaign.purpose,
            detail={"campaign": campaign.pk, "audience": added},
        )
    return added


SUPPRESSING = {
    MailEvent.Kind.HARD_BOUNCE: Suppression.Reason.HARD_BOUNCE,
    MailEvent.Kind.COMPLAINT: Suppression.Reason.COMPLAINT,
}


def mail_event_report(*, actor: Actor, message_id: str, kind: str, detail: str = "") -> MailEvent:
    """``mail_event_record`` for the message a bounce or complaint quotes by its Message-ID."""
    delivery_id = message_id_delivery(message_id)
    if delivery_id is None:
        raise Refusal("not_found", _("No campaign message has this Message-ID."))
    return mail_event_record(actor=actor, delivery_id=delivery_id, kind=kind, detail=detail)


def mail_event_record(*, actor: Actor, delivery_id: int, kind: str, detail: str = "") -> MailEvent:
    """A bounce or complaint about one delivery. A hard bounce or a complaint stops all campaign
    mail to that address: the next batch and every later audience leave it out. The reporter
    must act for the campaign's purpose (an API token with that scope)."""
    if kind not in MailEvent.Kind.values:
        raise Refusal("bad_kind", _("Unknown kind of mail event."))
    with transaction.atomic():
        delivery = Delivery.objects.select_related("campaign").filter(id=delivery_id).first()
        if delivery is None or gate_purpose_refusal(actor=actor, purpose=delivery.campaign.purpose):
            raise Refusal("not_found", _("No campaign message has this Message-ID."))
        now = timezone.now()
        event = MailEvent.objects.create(
            delivery=delivery,
            kind=kind,
            detail=detail[:500],
            reported_by=actor.label,
            recorded_at=now,
        )
        if kind in SUPPRESSING:
            _suppress(delivery, SUPPRESSING[MailEvent.Kind(kind)], now)
        gate_event(
            actor=actor,
            action=f"campaign.{kind}",
            subject_id=delivery.subject_id,
            purpose=delivery.campaign.purpose,
            detail={"campaign": delivery.campaign_id, "delivery": delivery.pk},
        )
    return event


def _suppress(delivery: Delivery, reason: str, now: object) -> None:
    address = gate_email_index(delivery.subject_id)
    if address:
        Suppression.objects.get_or_create(
            email_index=address,
            defaults={"reason": reason, "delivery": delivery, "recorded_at": now},
        )
    if reason == Suppression.Reason.HARD_BOUNCE:
        Delivery.objects.filter(id=delivery.pk).update(status=Delivery.Status.BOUNCED)
