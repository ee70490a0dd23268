"""WAARBORG_MAIL_URL: a Maildir or an IMAP mailbox, or one clear sentence saying what is wrong."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from waarborg.conf import env_mail_url, mail_url_parse


def test_a_maildir_url_names_its_folder():
    url = mail_url_parse("M", "maildir:///var/mail/privacy/")
    assert (url.scheme, url.path) == ("maildir", "/var/mail/privacy")
    assert url.label == "maildir:///var/mail/privacy"


def test_an_imaps_url_gives_host_port_user_password_and_folder():
    url = mail_url_parse("M", "imaps://privacy%40aplanner.nl:s%3Acret@imap.example.nl/Verzoeken")
    assert (url.host, url.port, url.user, url.password, url.folder) == (
        "imap.example.nl",
        993,
        "privacy@aplanner.nl",
        "s:cret",
        "Verzoeken",
    )
    assert url.label == "imap://privacy%40aplanner.nl@imap.example.nl/Verzoeken"
    assert url.where == "imaps://privacy%40aplanner.nl@imap.example.nl:993/Verzoeken"
    assert "s:cret" not in url.label + url.where + repr(url)


def test_plain_imap_defaults_to_port_143_and_the_inbox_on_this_machine():
    url = mail_url_parse("M", "imap://u:p@127.0.0.1")
    assert (url.port, url.folder) == (143, "INBOX")


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("maildir://relative/path", "absolute path"),
        ("pop3://u:p@host", "a Maildir"),
        ("/var/mail/privacy", "a Maildir"),
        ("imaps://host.example.nl", "a user name and a password"),
        ("imaps://u@host.example.nl", "a user name and a password"),
        ("imaps://u:p@host.example.nl:99999", "a user name and a password"),
        ("imap://u:p@imap.example.nl", "unencrypted"),
    ],
)
def test_a_bad_mail_url_stops_with_a_sentence_naming_the_variable(raw, says):
    with pytest.raises(ImproperlyConfigured) as caught:
        mail_url_parse("WAARBORG_MAIL_URL", raw)
    assert str(caught.value).startswith("WAARBORG_MAIL_URL")
    assert says in str(caught.value)
    assert ":p@" not in str(caught.value)


def test_the_url_may_come_from_a_file_and_is_none_when_unset(monkeypatch, tmp_path):
    monkeypatch.delenv("WAARBORG_MAIL_URL", raising=False)
    monkeypatch.delenv("WAARBORG_MAIL_URL_FILE", raising=False)
    assert env_mail_url("WAARBORG_MAIL_URL") is None
    secret = tmp_path / "mail-url"
    secret.write_text("imaps://u:p@imap.example.nl/INBOX\n")
    monkeypatch.setenv("WAARBORG_MAIL_URL_FILE", str(secret))
    url = env_mail_url("WAARBORG_MAIL_URL")
    assert url is not None and url.password == "p"
