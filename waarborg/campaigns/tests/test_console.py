"""The console's campaign pages for the marketing role: write, preview, send, progress."""

from __future__ import annotations

import pytest
from django.test import Client

from waarborg.access.services import staff_create
from waarborg.campaigns.models import Campaign
from waarborg.campaigns.sending import campaign_send
from waarborg.campaigns.tests.support import people, smtp_sink
from waarborg.core.actors import Actor

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password-42"
FORM = {
    "purpose": "newsletter",
    "name": "Nieuwsbrief december",
    "subject_nl": "Nieuws van aPlanner",
    "subject_en": "News from aPlanner",
    "text_nl": "Beste lezer, dit is ons nieuws.",
    "text_en": "Dear reader, this is our news.",
}


def login(role: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="nl")
    staff_create(actor=Actor.job("test"), username=role, password=PASSWORD, roles=[role])
    assert client.login(username=role, password=PASSWORD)
    return client


def test_a_marketer_writes_previews_sends_and_sees_the_progress() -> None:
    people(3, purposes=["newsletter"])
    client = login("marketing")
    assert "Campagnes" in client.get("/console/").content.decode()

    written = client.post("/console/campaigns/new", FORM)
    campaign = Campaign.objects.get()
    assert written.status_code == 302 and written["Location"].endswith(f"/{campaign.pk}")
    preview = client.get(f"/console/campaigns/{campaign.pk}").content.decode()
    assert "Beste lezer, dit is ons nieuws." in preview and "Dear reader" in preview
    assert "Afmelden voor deze berichten" in preview and "Verzenden" in preview

    assert client.post(f"/console/campaigns/{campaign.pk}/send").status_code == 302
    sending = client.get(f"/console/campaigns/{campaign.pk}").content.decode()
    assert '<dd id="count-open">3</dd>' in sending and 'id="refresh"' in sending

    with smtp_sink() as (sink, _):
        campaign_send(campaign_id=campaign.pk)
    done = client.get(f"/console/campaigns/{campaign.pk}").content.decode()
    assert '<dd id="count-sent">3</dd>' in done and 'id="refresh"' not in done
    assert len(sink.messages) == 3
    listing = client.get("/console/campaigns").content.decode()
    assert "Nieuwsbrief december" in listing and "verzonden" in listing


def test_an_incomplete_campaign_is_refused_in_the_marketers_language() -> None:
    client = login("marketing")
    answer = client.post("/console/campaigns/new", {**FORM, "text_en": " "})
    assert answer.status_code == 400
    assert "Vul elk veld in." in answer.content.decode()
    assert not Campaign.objects.exists()


def test_a_sent_campaign_cannot_be_sent_or_changed_again() -> None:
    people(1, purposes=["newsletter"])
    client = login("marketing")
    client.post("/console/campaigns/new", FORM)
    campaign = Campaign.objects.get()
    client.post(f"/console/campaigns/{campaign.pk}/send")
    assert client.post(f"/console/campaigns/{campaign.pk}/send").status_code == 409
    edit = client.get(f"/console/campaigns/{campaign.pk}/edit")
    assert edit.status_code == 302


@pytest.mark.parametrize("role", ["support", "billing"])
def test_other_roles_do_not_reach_campaigns(role: str) -> None:
    client = login(role)
    assert client.get("/console/campaigns").status_code == 403
    assert "Campagnes" not in client.get("/console/").content.decode()
