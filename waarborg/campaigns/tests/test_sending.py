"""Campaign mail through a real SMTP server: headers, batches, unsubscribes and bounces that
take effect before the next batch."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client, override_settings

from waarborg.campaigns.models import Campaign, Delivery, MailEvent
from waarborg.campaigns.selectors import campaign_progress
from waarborg.campaigns.sending import Progress, campaign_send
from waarborg.campaigns.services import campaign_start, mail_event_record
from waarborg.campaigns.tests.support import MARKETER, draft, free_port, people, smtp_sink
from waarborg.conftest import system
from waarborg.consent.unsubscribe import unsubscribe_link
from waarborg.vault.models import Subject

pytestmark = pytest.mark.django_db
BOUNCES = system("newsletter", name="mail-service")


def _started(n: int) -> Campaign:
    people(n, purposes=["newsletter"])
    campaign = draft()
    campaign_start(actor=MARKETER, campaign_id=campaign.pk)
    return campaign


@override_settings(WAARBORG_PUBLIC_URL="https://privacy.cms.example")
def test_every_message_passes_the_rfc_8058_check() -> None:
    campaign = _started(3)
    with smtp_sink() as (sink, _):
        campaign_send(campaign_id=campaign.pk)
    assert len(sink.messages) == 3
    for message in sink.messages:
        uris = re.findall(r"<([^<>]+)>", str(message["List-Unsubscribe"]))
        assert re.fullmatch(r"https://privacy\.cms\.example/privacy/unsubscribe/\S+", uris[0])
        assert uris[1].startswith("mailto:")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert body.count(uris[0]) == 2  # the same link, visible, in Dutch and in English
        assert "Afmelden voor deze berichten" in body
        assert "Unsubscribe from these messages" in body
        assert re.fullmatch(
            rf"<campaign-{campaign.pk}\.\d+\.[0-9a-f]{{20}}@\S+>", str(message["Message-ID"])
        )
        # DKIM-ready: nothing a relay would rewrite after signing
        assert message["Precedence"] is None and message["Return-Path"] is None
    assert Campaign.objects.get(id=campaign.pk).state == Campaign.State.DONE


def test_an_unsubscribe_between_batches_stops_that_persons_later_mail() -> None:
    campaign = _started(300)
    last = Delivery.objects.filter(campaign=campaign).order_by("-id").first()
    assert last is not None
    leaver = Subject.objects.get(id=last.subject_id)

    def after(progress: Progress) -> None:
        if progress.sent == 100:  # after the first batch: a mail program's one-click POST
            url = unsubscribe_link(subject_id=leaver.id, purpose="newsletter")
            mail_program = Client(enforce_csrf_checks=True)  # no cookie, no login
            answer = mail_program.post(urlsplit(url).path, {"List-Unsubscribe": "One-Click"})
            assert answer.status_code == 200

    with smtp_sink() as (sink, _):
        total = campaign_send(campaign_id=campaign.pk, size=100, on_batch=after)
    assert total.sent == 299 and total.skipped == 1
    assert len(sink.messages) == 299
    assert max(sink.recipients().values()) == 1
    assert Delivery.objects.get(id=last.pk).reason == "no_consent"
    assert campaign_progress(campaign_id=campaign.pk)["sent"] == 299


def test_a_hard_bounce_stops_mail_to_that_address_in_the_next_batch_and_campaign() -> None:
    campaign = _started(20)
    deliveries = list(Delivery.objects.filter(campaign=campaign).order_by("id"))
    bounced = deliveries[-1]
    mail_event_record(actor=BOUNCES, delivery_id=bounced.pk, kind="hard_bounce", detail="5.1.1")
    with smtp_sink() as (sink, _):
        total = campaign_send(campaign_id=campaign.pk, size=5)
    assert total.sent == 19 and len(sink.messages) == 19
    assert Delivery.objects.get(id=bounced.pk).status == "bounced"
    assert MailEvent.objects.get().kind == "hard_bounce"

    later = draft(name="December")
    assert campaign_start(actor=MARKETER, campaign_id=later.pk) == 19


def test_a_soft_bounce_is_recorded_and_stops_nothing() -> None:
    campaign = _started(2)
    first = Delivery.objects.filter(campaign=campaign).order_by("id").first()
    assert first is not None
    mail_event_record(actor=BOUNCES, delivery_id=first.pk, kind="soft_bounce")
    with smtp_sink() as (sink, _):
        campaign_send(campaign_id=campaign.pk)
    assert len(sink.messages) == 2


def test_a_mail_server_that_refuses_a_recipient_fails_that_delivery_only() -> None:
    campaign = _started(3)

    with smtp_sink() as (sink, _):

        async def refuse(
            server: object, session: object, envelope: object, address: str, options: list[str]
        ) -> str:
            if address == "person1@example.nl":
                return "550 no such user"
            envelope.rcpt_tos.append(address)  # type: ignore[attr-defined]
            return "250 OK"

        sink.handle_RCPT = refuse  # type: ignore[attr-defined]
        total = campaign_send(campaign_id=campaign.pk)
    assert (total.sent, total.failed) == (2, 1)
    assert campaign_progress(campaign_id=campaign.pk)["failed"] == 1


def test_a_mail_service_reports_a_hard_bounce_through_the_api(api_for: Any) -> None:
    campaign = _started(2)
    with smtp_sink() as (sink, _):
        campaign_send(campaign_id=campaign.pk)
    quoted = str(sink.messages[0]["Message-ID"])
    webhook = api_for("newsletter", name="mail-service")
    answer = webhook.post(
        "/api/v1/mail-events", {"message_id": quoted, "kind": "hard_bounce", "status": "5.1.1"}
    )
    assert answer.status_code == 201, answer.content
    assert campaign_start(actor=MARKETER, campaign_id=draft(name="next").pk) == 1

    wrong_scope = api_for("administration", name="other-app")
    refused = wrong_scope.post("/api/v1/mail-events", {"message_id": quoted, "kind": "complaint"})
    assert refused.status_code == 404
    unknown = webhook.post("/api/v1/mail-events", {"message_id": "<x@y>", "kind": "complaint"})
    assert unknown.status_code == 404
    bad = webhook.post("/api/v1/mail-events", {"message_id": quoted, "kind": "lost"})
    assert bad.status_code == 422


def test_a_mail_server_that_cannot_be_reached_leaves_the_batch_to_send_later() -> None:
    campaign = _started(3)
    nobody_listens = override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=free_port(),
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_TIMEOUT=2,
    )
    with nobody_listens, pytest.raises(OSError):
        campaign_send(campaign_id=campaign.pk)
    assert campaign_progress(campaign_id=campaign.pk)["pending"] == 3
    with smtp_sink() as (sink, _):
        assert campaign_send(campaign_id=campaign.pk).sent == 3
    assert len(sink.messages) == 3


def test_a_journal_that_cannot_be_written_still_records_what_went_out(monkeypatch) -> None:
    from waarborg.campaigns import sending

    campaign = _started(3)
    notes = {"n": 0}
    write = sending.Journal.note

    def disk_full_at_the_second(self: Any, status: str, delivery_id: int) -> None:
        notes["n"] += 1
        if notes["n"] == 2:
            raise OSError(28, "No space left on device")
        write(self, status, delivery_id)

    monkeypatch.setattr(sending.Journal, "note", disk_full_at_the_second)
    with smtp_sink() as (sink, _), pytest.raises(OSError):
        campaign_send(campaign_id=campaign.pk)
    progress = campaign_progress(campaign_id=campaign.pk)
    # Two went to the mail server and are recorded as sent; the third waits for the next run.
    assert len(sink.messages) == 2
    assert (progress["sent"], progress["pending"]) == (2, 1)
