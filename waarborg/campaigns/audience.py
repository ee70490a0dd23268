"""Who a campaign goes to: the gate's set-based read for its purpose, less the addresses that
bounced hard or complained, written as delivery rows by the database itself.

One ``INSERT ... SELECT`` from the gate's narrowed queryset: no subject passes through Python,
so memory stays flat from a thousand subjects to a million, and the rule (consent, objection,
restriction, erasure) is the gate's own, never copied here."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import QuerySet

from waarborg.campaigns.models import Campaign, Delivery, Suppression
from waarborg.core.actors import Actor
from waarborg.gate.records import gate_mailable
from waarborg.gate.services import Refused

# The sender acts in the marketing role: the gate lets it use exactly the marketing purposes.
SENDER = Actor(kind="job", name="campaigns", roles=frozenset({"marketing"}))


def audience_queryset(*, purpose: str) -> QuerySet[Any] | Refused:
    """The subjects a campaign for ``purpose`` may mail now (audited once by the gate)."""
    suppressed = Suppression.objects.values("email_index")
    return gate_mailable(actor=SENDER, purpose=purpose, leaving_out=suppressed)


def audience_build(*, campaign: Campaign) -> int | Refused:
    """Add a pending delivery for everyone in the audience who has none yet; how many were
    added. Run twice, it adds nobody twice (one row per campaign and subject)."""
    audience = audience_queryset(purpose=campaign.purpose)
    if isinstance(audience, Refused):
        return audience
    select, params = audience.values("id").query.sql_with_params()
    table = Delivery._meta.db_table
    sql = (
        f"INSERT INTO {table} (campaign_id, subject_id, status, reason, claimed_by) "  # noqa: S608
        f"SELECT %s, audience.id, %s, '', '' FROM ({select}) audience WHERE true "
        # WHERE true: SQLite reads ON CONFLICT after a bare SELECT as a join constraint.
        "ON CONFLICT (campaign_id, subject_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (campaign.pk, Delivery.Status.PENDING, *params))
        return max(int(cursor.rowcount), 0)
