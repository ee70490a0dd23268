"""Reads of campaigns: the list and one campaign's progress (counts only, no personal data)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, QuerySet

from waarborg.campaigns.message import message_body
from waarborg.campaigns.models import Campaign, Delivery
from waarborg.policy.selectors import policy_current


def campaigns_list(*, purposes: list[str]) -> QuerySet[Campaign]:
    return Campaign.objects.filter(purpose__in=purposes).order_by("-created_at")


def campaign_progress(*, campaign_id: int) -> dict[str, int]:
    """How many deliveries are in each status, every status named (zero when none)."""
    counts = dict(
        Delivery.objects.filter(campaign_id=campaign_id)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in Delivery.Status.values}


def campaign_purposes(*, purposes: list[str]) -> list[str]:
    """Of the purposes an actor may use, those a campaign can be for: direct marketing on
    consent (the marketing role's newsletter and offers)."""
    policy = policy_current().policy
    return [p for p in purposes if p in policy.purposes and policy.purposes[p].direct_marketing]


def campaign_preview(*, campaign: Campaign) -> tuple[str, str]:
    """(subject line, body) exactly as a person will receive it, with an example link."""
    example = f"{settings.WAARBORG_PUBLIC_URL}/privacy/unsubscribe/..."
    return f"{campaign.subject_nl} / {campaign.subject_en}", message_body(campaign, example)
