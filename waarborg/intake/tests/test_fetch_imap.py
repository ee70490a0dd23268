"""``waarborg mail fetch`` against a real Dovecot, run as an operator runs it (a process of its
own), including one killed with SIGKILL before and after its commit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from waarborg.audit.tests.support import committed_db  # noqa: F401
from waarborg.campaigns.models import MailEvent
from waarborg.campaigns.sending import campaign_send
from waarborg.campaigns.services import campaign_start
from waarborg.campaigns.tests.support import MARKETER, draft, people, smtp_sink
from waarborg.intake.tests.dovecot import Dovecot, StallingProxy
from waarborg.intake.tests.support import dsn_postfix, mail_bytes
from waarborg.rights.models import Request

pytestmark = pytest.mark.usefixtures("committed_db")

WAARBORG = Path(sys.executable).with_name("waarborg")
HANDLED = "waarborg-handled"


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgresql://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _command(url: str, var: Path, **env: str) -> dict[str, object]:
    return {
        "args": [str(WAARBORG), "mail", "fetch"],
        "cwd": settings.BASE_DIR,
        # Letters go to files in var/mail (no WAARBORG_SMTP_URL): the test reads them there.
        "env": {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "WAARBORG_MAIL_URL": url,
            "WAARBORG_VAR_DIR": str(var),
            **env,
        },
    }


def fetch(url: str, var: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload,no-any-return]
        **_command(url, var, **env), capture_output=True, text=True, timeout=120, check=False
    )


def _letters(var: Path) -> str:
    folder = var / "mail"
    return "".join(p.read_text() for p in folder.iterdir()) if folder.is_dir() else ""


def test_each_mail_is_filed_once_and_moved_flagged_to_the_handled_folder(
    dovecot: Dovecot, imap_user: str, tmp_path: Path
):
    dovecot.append(imap_user, mail_bytes("Ik wil graag inzage in mijn gegevens."))
    # A second mail delivered as a mail server does it: straight into the Maildir.
    new = dovecot.maildir(imap_user) / "new"
    (new / "1767268800.M1P1.mx").write_bytes(
        mail_bytes("Please delete my account.", sender="tom@example.com", subject="Delete")
    )
    done = fetch(dovecot.url(imap_user), tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "2 mails read, 2 stored, 0 skipped "
        "(0 already stored, 0 automatic replies, 0 left in the mailbox for a person), "
        "0 campaign bounces and complaints recorded"
    )
    requests = list(Request.objects.order_by("id"))
    assert sorted(r.kinds[0] for r in requests) == ["access", "erasure"]
    assert {r.channel for r in requests} == {"email"}
    assert dovecot.flags(imap_user, "INBOX") == []
    assert [r"\Seen" in flags for flags in dovecot.flags(imap_user, HANDLED)] == [True, True]
    letters = _letters(tmp_path)
    assert all(r.reference in letters for r in requests)

    again = fetch(dovecot.url(imap_user), tmp_path)
    assert again.stdout.startswith("0 mails read, 0 stored, 0 skipped")
    assert Request.objects.count() == 2


def test_imaps_checks_the_servers_certificate(dovecot: Dovecot, imap_user: str, tmp_path: Path):
    dovecot.append(imap_user, mail_bytes("Ik maak bezwaar tegen reclame."))
    untrusted = fetch(dovecot.url(imap_user, tls=True), tmp_path)
    assert untrusted.returncode == 1
    assert (
        "cannot be opened" in untrusted.stderr and "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr
    )
    assert "Traceback" not in untrusted.stderr
    assert Request.objects.count() == 0

    trusted = fetch(dovecot.url(imap_user, tls=True), tmp_path, SSL_CERT_FILE=str(dovecot.cert))
    assert trusted.returncode == 0, trusted.stderr
    assert trusted.stdout.startswith("1 mails read, 1 stored")
    assert Request.objects.get().kinds == ["objection"]


def test_a_wrong_password_is_one_plain_line_without_the_password(
    dovecot: Dovecot, imap_user: str, tmp_path: Path
):
    url = dovecot.url(imap_user).replace("throw-away-secret", "wrong-guess")
    done = fetch(url, tmp_path)
    assert done.returncode == 1
    assert f"imap://{imap_user}@127.0.0.1:{dovecot.port}/INBOX cannot be opened" in done.stderr
    assert "wrong-guess" not in done.stderr and "Traceback" not in done.stderr


def _killed_at(dovecot: Dovecot, user: str, var: Path, marker: bytes) -> int:
    """Run a fetch through a proxy that freezes it at the first command holding ``marker``;
    kill it there with SIGKILL. Returns how many requests were committed at that moment."""
    proxy = StallingProxy(dovecot.port, marker)
    url = dovecot.url(user).replace(f":{dovecot.port}/", f":{proxy.port}/")
    process = subprocess.Popen(  # type: ignore[call-overload]
        **_command(url, var), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert proxy.stalled.wait(timeout=90), process.communicate(timeout=5)
        committed = Request.objects.count()
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        proxy.close()
    assert process.returncode == -signal.SIGKILL
    return committed


def test_a_fetch_killed_after_its_commit_leaves_a_request_the_next_fetch_only_moves(
    dovecot: Dovecot, imap_user: str, tmp_path: Path
):
    dovecot.append(imap_user, mail_bytes("Verwijder al mijn gegevens."))
    # Frozen as it asks the server to flag the mail: the request must already be committed.
    assert _killed_at(dovecot, imap_user, tmp_path, b"UID STORE") == 1
    [flags] = dovecot.flags(imap_user, "INBOX")
    assert r"\Seen" not in flags  # still waiting on the server

    done = fetch(dovecot.url(imap_user), tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1 mails read, 0 stored, 1 skipped (1 already stored,")
    assert Request.objects.count() == 1
    assert dovecot.flags(imap_user, "INBOX") == []
    assert [r"\Seen" in flags for flags in dovecot.flags(imap_user, HANDLED)] == [True]


def test_a_fetch_killed_before_its_commit_loses_nothing(
    dovecot: Dovecot, imap_user: str, tmp_path: Path
):
    dovecot.append(imap_user, mail_bytes("Ik wil inzage in mijn persoonsgegevens."))
    # Frozen as it asks for the mail itself: nothing can have been stored.
    assert _killed_at(dovecot, imap_user, tmp_path, b"BODY.PEEK[]") == 0
    assert len(dovecot.flags(imap_user, "INBOX")) == 1

    done = fetch(dovecot.url(imap_user), tmp_path)
    assert done.stdout.startswith("1 mails read, 1 stored, 0 skipped"), done.stderr
    assert Request.objects.get().kinds == ["access"]
    assert dovecot.flags(imap_user, "INBOX") == []


def test_a_bounce_in_the_imap_mailbox_is_recorded_once_also_when_the_fetch_is_killed(
    dovecot: Dovecot, imap_user: str, tmp_path: Path
):
    people(2, purposes=["newsletter"])
    campaign = draft()
    campaign_start(actor=MARKETER, campaign_id=campaign.pk)
    with smtp_sink() as (sink, _):
        campaign_send(campaign_id=campaign.pk)
    returned = {str(m["To"]): m.as_bytes() for m in sink.messages}
    dovecot.append(imap_user, dsn_postfix(returned["person1@example.nl"], "person1@example.nl"))
    # Killed as it flags the bounce: recorded and committed, still waiting on the server.
    _killed_at(dovecot, imap_user, tmp_path, b"UID STORE")
    assert MailEvent.objects.get().kind == "hard_bounce"

    done = fetch(dovecot.url(imap_user), tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("1 mails read, 0 stored, 1 skipped (1 already stored,")
    assert MailEvent.objects.count() == 1
    assert dovecot.flags(imap_user, "INBOX") == []
    later = draft(name="December")
    assert campaign_start(actor=MARKETER, campaign_id=later.pk) == 1  # person0 only
