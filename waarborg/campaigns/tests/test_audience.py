"""The audience is the gate's: confirmed consent for the purpose, and no objection, restriction,
erasure or suppressed address."""

from __future__ import annotations

import pytest

from waarborg.campaigns.models import Delivery, Suppression
from waarborg.campaigns.services import campaign_start
from waarborg.campaigns.tests.support import MARKETER, draft
from waarborg.vault.services import subject_erase, subject_restrict
from waarborg.vault.tests.factories import (
    OFFICER,
    free_customer,
    grant,
    grant_by_email,
    object_to,
    withdraw,
)


@pytest.mark.django_db
def test_the_audience_is_exactly_those_with_confirmed_consent_and_nothing_against_it() -> None:
    reached = [free_customer(), free_customer()]
    for person in reached:
        grant(person, "newsletter")
    unconfirmed = free_customer()
    grant_by_email(unconfirmed, "newsletter", confirm=False)
    withdrawn = free_customer()
    grant(withdrawn, "newsletter")
    withdraw(withdrawn, "newsletter")
    objected, restricted, erased, bounced = (free_customer() for _ in range(4))
    for person in (objected, restricted, erased, bounced):
        grant(person, "newsletter")
    object_to(objected, "newsletter")
    subject_restrict(actor=OFFICER, subject_id=restricted.id, reason="disputed accuracy")
    subject_erase(actor=OFFICER, subject_id=erased.id, reason="art. 17 request")
    Suppression.objects.create(
        email_index=str(bounced.email_index), reason="hard_bounce", recorded_at=bounced.created_at
    )
    other_purpose = free_customer()
    grant(other_purpose, "offers")
    never_asked = free_customer()

    campaign = draft()
    assert campaign_start(actor=MARKETER, campaign_id=campaign.pk) == 2

    audience = set(Delivery.objects.filter(campaign=campaign).values_list("subject_id", flat=True))
    assert audience == {p.id for p in reached}
    assert never_asked.id not in audience


@pytest.mark.django_db
def test_a_campaign_starts_once() -> None:
    person = free_customer()
    grant(person, "newsletter")
    campaign = draft()
    campaign_start(actor=MARKETER, campaign_id=campaign.pk)
    with pytest.raises(Exception, match="campaign_started"):
        campaign_start(actor=MARKETER, campaign_id=campaign.pk)
    assert Delivery.objects.filter(campaign=campaign).count() == 1
