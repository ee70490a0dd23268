"""``waarborg mail fetch`` on a Maildir: each mail becomes one request, then moves aside."""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from waarborg.conf import mail_url_parse
from waarborg.intake.models import HandledMail
from waarborg.intake.reading import mail_read
from waarborg.intake.services import mail_store
from waarborg.intake.tests.support import (
    mail_bytes,
    maildir_deliver,
    maildir_files,
    maildir_make,
)
from waarborg.rights.limits import FILINGS_PER_ADDRESS
from waarborg.rights.models import Request

pytestmark = pytest.mark.django_db

HANDLED = ".waarborg-handled"


@pytest.fixture
def maildir(tmp_path: Path):
    root = maildir_make(tmp_path / "privacy")
    with override_settings(WAARBORG_MAIL_URL=mail_url_parse("M", f"maildir://{root}")):
        yield root


def fetch(capture=None) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    if capture is None:
        call_command("mail", "fetch", stdout=out, stderr=err)
    else:
        with capture(execute=True):
            call_command("mail", "fetch", stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def test_each_mail_becomes_one_request_and_is_moved_to_the_handled_folder(
    maildir, django_capture_on_commit_callbacks, mailoutbox
):
    maildir_deliver(maildir, mail_bytes("Ik wil graag inzage in mijn gegevens."))
    maildir_deliver(
        maildir,
        mail_bytes("Please delete my account.", sender="tom@example.com", subject="Delete"),
    )
    out, err = fetch(django_capture_on_commit_callbacks)
    assert out == (
        "2 mails read, 2 stored, 0 skipped "
        "(0 already stored, 0 automatic replies, 0 left in the mailbox for a person), "
        "0 campaign bounces and complaints recorded"
    )
    assert err == ""
    requests = {r.kinds[0]: r for r in Request.objects.all()}
    assert set(requests) == {"access", "erasure"}
    assert requests["access"].channel == "email" and requests["access"].language == "nl"
    assert requests["erasure"].language == "en"
    assert maildir_files(maildir, "new") == [] and maildir_files(maildir, "cur") == []
    moved = maildir_files(maildir / HANDLED, "cur")
    assert len(moved) == 2 and all(name.endswith(":2,S") for name in moved)
    # Each requester hears of their request, at the address they wrote from.
    assert sorted(m.to[0] for m in mailoutbox) == ["annelies.devries@example.nl", "tom@example.com"]
    assert all(r.reference in " ".join(m.subject for m in mailoutbox) for r in requests.values())


def test_the_receipt_is_when_the_mail_arrived_not_the_date_the_sender_wrote(maildir):
    path = maildir_deliver(maildir, mail_bytes("Inzage in mijn gegevens graag."))
    arrived = 1_767_268_800  # 2026-01-01 12:00 UTC; the mail's own Date says March 2025
    os.utime(path, (arrived, arrived))
    fetch()
    request = Request.objects.get()
    assert request.received_at.timestamp() == arrived
    assert request.due.isoformat() == "2026-02-02"  # 1 February 2026 is a Sunday


def test_an_unclear_mail_is_filed_as_unclear_with_its_words_for_the_officer(maildir):
    maildir_deliver(maildir, mail_bytes("Wat doen jullie eigenlijk met mijn spullen?"))
    fetch()
    assert Request.objects.get().kinds == ["unclear"]


def test_a_second_fetch_finds_nothing_new(maildir):
    maildir_deliver(maildir, mail_bytes("Ik maak bezwaar tegen reclame."))
    fetch()
    out, _ = fetch()
    assert out.startswith("0 mails read, 0 stored, 0 skipped")
    assert Request.objects.count() == 1


def test_a_mail_stored_before_a_crash_is_only_moved_by_the_next_fetch(maildir):
    raw = mail_bytes("Verwijder al mijn gegevens.")
    maildir_deliver(maildir, raw)
    # The state a fetch leaves when it dies between its commit and moving the mail.
    mail_store(mailbox=f"maildir://{maildir}", mail=mail_read(raw), received_at=timezone.now())
    assert Request.objects.count() == 1 and maildir_files(maildir, "new")
    out, _ = fetch()
    assert out.startswith("1 mails read, 0 stored, 1 skipped (1 already stored,")
    assert Request.objects.count() == 1
    assert maildir_files(maildir, "new") == [] and len(maildir_files(maildir / HANDLED, "cur")) == 1


def test_the_same_mail_delivered_twice_is_filed_once(maildir):
    raw = mail_bytes("Inzage graag in mijn gegevens.", message_id="<same@example.nl>")
    maildir_deliver(maildir, raw)
    maildir_deliver(maildir, raw)
    out, _ = fetch()
    assert out.startswith("2 mails read, 1 stored, 1 skipped (1 already stored,")
    assert Request.objects.count() == 1


def test_a_mail_without_a_sender_stays_in_the_mailbox_for_a_person(maildir):
    maildir_deliver(maildir, b"Subject: inzage\r\n\r\nIk wil inzage in mijn gegevens.\r\n")
    out, err = fetch()
    assert out.endswith(
        "(0 already stored, 0 automatic replies, 1 left in the mailbox for a person), "
        "0 campaign bounces and complaints recorded"
    )
    assert "has no sender address" in err
    assert Request.objects.count() == 0
    assert len(maildir_files(maildir, "new")) == 1


def test_auto_replies_and_our_own_letters_are_moved_without_a_request(maildir):
    maildir_deliver(
        maildir, mail_bytes("Ik ben afwezig tot maandag.", Auto_Submitted="auto-replied")
    )
    maildir_deliver(
        maildir, mail_bytes("Uw verzoek R-ABC123", sender="mail@capitalmediaservices.nl")
    )
    out, _ = fetch()
    assert out.startswith("2 mails read, 0 stored, 2 skipped (0 already stored, 2 automatic")
    assert Request.objects.count() == 0
    assert HandledMail.objects.filter(automatic=True, request=None).count() == 2
    assert maildir_files(maildir, "new") == []


def test_a_refused_filing_leaves_the_mail_in_the_mailbox(maildir):
    for n in range(FILINGS_PER_ADDRESS + 1):
        maildir_deliver(maildir, mail_bytes(f"Inzage in mijn gegevens, poging {n}."))
    out, err = fetch()
    assert f"{FILINGS_PER_ADDRESS} stored" in out and "1 left in the mailbox for a person" in out
    assert "was refused" in err
    assert Request.objects.count() == FILINGS_PER_ADDRESS
    assert len(maildir_files(maildir, "new")) == 1


def test_a_missing_maildir_or_no_url_is_a_plain_error(tmp_path):
    missing = mail_url_parse("M", f"maildir://{tmp_path}/none")
    with (
        override_settings(WAARBORG_MAIL_URL=missing),
        pytest.raises(CommandError, match="is not a Maildir"),
    ):
        fetch()
    with (
        override_settings(WAARBORG_MAIL_URL=None),
        pytest.raises(CommandError, match="WAARBORG_MAIL_URL is not set"),
    ):
        fetch()


def test_the_database_itself_refuses_a_second_record_of_one_mail():
    HandledMail.objects.create(mailbox="maildir:///m", key="a" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        HandledMail.objects.create(mailbox="maildir:///m", key="a" * 64)
    HandledMail.objects.create(mailbox="maildir:///other", key="a" * 64)  # another mailbox


def test_the_acknowledgement_answers_in_the_thread_of_the_mail(
    maildir, django_capture_on_commit_callbacks, mailoutbox
):
    theirs = "<verzoek-7@mail.example.nl>"
    maildir_deliver(maildir, mail_bytes("Ik wil inzage in mijn gegevens.", message_id=theirs))
    fetch(django_capture_on_commit_callbacks)
    (letter,) = mailoutbox
    # The requester's mail program shows our letter under their own mail.
    assert letter.extra_headers["In-Reply-To"] == theirs
    assert letter.extra_headers["References"] == theirs
