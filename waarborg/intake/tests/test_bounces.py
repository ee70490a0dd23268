"""Bounces and complaints about campaign mail that reach the contact mailbox: ``waarborg mail
fetch`` records them with the campaigns, and a hard bounce or a complaint stops the mail."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from waarborg.campaigns.models import Delivery, MailEvent, Suppression
from waarborg.campaigns.sending import campaign_send
from waarborg.campaigns.services import campaign_start
from waarborg.campaigns.tests.support import MARKETER, draft, people, smtp_sink
from waarborg.conf import mail_url_parse
from waarborg.intake.models import HandledMail
from waarborg.intake.reading import mail_read
from waarborg.intake.services import mail_store
from waarborg.intake.tests.support import (
    arf_complaint,
    dsn_postfix,
    mail_bytes,
    maildir_deliver,
    maildir_files,
    maildir_make,
)
from waarborg.rights.models import Request

pytestmark = pytest.mark.django_db

HANDLED = ".waarborg-handled"


@pytest.fixture
def maildir(tmp_path: Path):
    root = maildir_make(tmp_path / "privacy")
    with override_settings(WAARBORG_MAIL_URL=mail_url_parse("M", f"maildir://{root}")):
        yield root


def fetch() -> str:
    out = StringIO()
    call_command("mail", "fetch", stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def sent_campaign(n: int = 3, name: str = "Nieuwsbrief") -> dict[str, bytes]:
    """A newsletter to ``n`` people, through a real SMTP server: each address and the message
    it received, as bytes."""
    people(n, purposes=["newsletter"])
    campaign = draft(name=name)
    campaign_start(actor=MARKETER, campaign_id=campaign.pk)
    with smtp_sink() as (sink, _):
        campaign_send(campaign_id=campaign.pk)
    return {str(m["To"]): m.as_bytes() for m in sink.messages}


def next_campaign_reaches() -> set[str]:
    campaign = draft(name="Next")
    campaign_start(actor=MARKETER, campaign_id=campaign.pk)
    with smtp_sink() as (sink, _):
        campaign_send(campaign_id=campaign.pk)
    return set(sink.recipients())


def counts(out: str) -> str:
    return out.split(", ")[-1]


def test_a_postfix_hard_bounce_is_recorded_and_stops_mail_to_that_address(maildir):
    received = sent_campaign(3)
    maildir_deliver(maildir, dsn_postfix(received["person1@example.nl"], "person1@example.nl"))
    out = fetch()
    assert out == (
        "1 mails read, 0 stored, 1 skipped "
        "(0 already stored, 1 automatic replies, 0 left in the mailbox for a person), "
        "1 campaign bounces and complaints recorded"
    )
    event = MailEvent.objects.get()
    assert (event.kind, event.detail, event.reported_by) == (
        "hard_bounce",
        "5.1.1",
        "job:mail-intake",
    )
    assert event.delivery.status == "bounced"
    assert Suppression.objects.get().reason == "hard_bounce"
    assert not Request.objects.exists()  # never answered: a bounce is no request
    assert len(maildir_files(maildir / HANDLED, "cur")) == 1
    # The next newsletter goes to the other two only.
    assert next_campaign_reaches() == {"person0@example.nl", "person2@example.nl"}


def test_a_bounce_with_only_the_returned_headers_is_matched_too(maildir):
    received = sent_campaign(2)
    raw = dsn_postfix(received["person0@example.nl"], "person0@example.nl", headers_only=True)
    maildir_deliver(maildir, raw)
    assert counts(fetch()) == "1 campaign bounces and complaints recorded"
    assert MailEvent.objects.get().kind == "hard_bounce"
    assert next_campaign_reaches() == {"person1@example.nl"}


def test_a_soft_bounce_is_recorded_and_stops_nothing(maildir):
    received = sent_campaign(2)
    # Postfix gives up after the queue lifetime: failed, with a transient status.
    raw = dsn_postfix(received["person0@example.nl"], "person0@example.nl", status="4.4.1")
    maildir_deliver(maildir, raw)
    assert counts(fetch()) == "1 campaign bounces and complaints recorded"
    event = MailEvent.objects.get()
    assert (event.kind, event.detail) == ("soft_bounce", "4.4.1")
    assert not Suppression.objects.exists()
    assert event.delivery.status == "sent"
    assert next_campaign_reaches() == {"person0@example.nl", "person1@example.nl"}


def test_a_delay_notice_records_nothing(maildir):
    received = sent_campaign(1)
    raw = dsn_postfix(
        received["person0@example.nl"], "person0@example.nl", status="4.4.1", action="delayed"
    )
    maildir_deliver(maildir, raw)
    assert counts(fetch()) == "0 campaign bounces and complaints recorded"
    assert not MailEvent.objects.exists()
    assert HandledMail.objects.get().automatic


def test_a_spam_complaint_from_a_mailbox_provider_stops_mail_to_that_address(maildir):
    received = sent_campaign(3)
    maildir_deliver(maildir, arf_complaint(received["person2@example.nl"], "person2@example.nl"))
    assert counts(fetch()) == "1 campaign bounces and complaints recorded"
    event = MailEvent.objects.get()
    assert (event.kind, event.detail) == ("complaint", "")
    assert Suppression.objects.get().reason == "complaint"
    assert not Request.objects.exists()
    assert next_campaign_reaches() == {"person0@example.nl", "person1@example.nl"}


def test_a_not_spam_report_is_no_complaint():
    original = mail_bytes("x", message_id="<campaign-1.1.0123456789abcdef0123@c.nl>")
    read = mail_read(arf_complaint(original, "a@example.nl", feedback_type="not-spam"))
    assert read.automatic and read.reports == ()


def test_a_report_about_a_message_we_did_not_send_records_nothing(maildir):
    sent_campaign(2)
    delivery = Delivery.objects.order_by("id").first()
    assert delivery is not None
    # A guessed Message-ID (campaign and delivery numbers are small integers) and one of a
    # letter to a requester: anyone can mail the contact address, so neither may stop mail.
    guessed = mail_bytes(
        "x",
        sender="Nieuws <mail@capitalmediaservices.nl>",
        message_id=f"<campaign-{delivery.campaign_id}.{delivery.pk}.0000000000abcdef0000@x.nl>",
    )
    letter = mail_bytes("x", message_id="<letter-12@capitalmediaservices.nl>")
    maildir_deliver(maildir, dsn_postfix(guessed, "person0@example.nl"))
    maildir_deliver(maildir, arf_complaint(letter, "person1@example.nl"))
    out = fetch()
    assert out.startswith("2 mails read, 0 stored, 2 skipped (0 already stored, 2 automatic")
    assert counts(out) == "0 campaign bounces and complaints recorded"
    assert not MailEvent.objects.exists() and not Suppression.objects.exists()
    assert not Request.objects.exists()
    assert len(maildir_files(maildir / HANDLED, "cur")) == 2


def test_a_bounce_is_recorded_once_however_often_it_is_read(maildir):
    received = sent_campaign(2)
    raw = dsn_postfix(received["person0@example.nl"], "person0@example.nl")
    # The state a fetch leaves when it dies between its commit and moving the mail ...
    assert (
        mail_store(mailbox=f"maildir://{maildir}", mail=mail_read(raw), received_at=timezone.now())
        == 1
    )
    maildir_deliver(maildir, raw)
    # ... and the same bounce delivered a second time.
    maildir_deliver(maildir, raw)
    out = fetch()
    assert out.startswith("2 mails read, 0 stored, 2 skipped (2 already stored,")
    assert counts(out) == "0 campaign bounces and complaints recorded"
    assert MailEvent.objects.count() == 1
    assert maildir_files(maildir, "new") == []


def test_the_message_id_of_the_original_is_read_from_either_form():
    original = mail_bytes("x", message_id="<campaign-4.7.0123456789abcdef0123@c.nl>")
    for raw in (
        dsn_postfix(original, "a@example.nl"),
        dsn_postfix(original, "a@example.nl", headers_only=True),
        arf_complaint(original, "a@example.nl"),
    ):
        (report,) = mail_read(raw).reports
        assert report.message_id == "<campaign-4.7.0123456789abcdef0123@c.nl>"
    assert mail_read(mail_bytes("Ik wil inzage in mijn gegevens.")).reports == ()
