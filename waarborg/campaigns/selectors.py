"""Reads of campaigns: the list and one campaign's progress (counts only, no personal data)."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from waarborg.campaigns.models import Campaign, Delivery


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
