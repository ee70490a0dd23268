"""Letters through a real SMTP server (aiosmtpd on a free local port): STARTTLS, a login, the
headers and link as they arrive; and ``WAARBORG_SMTP_URL`` read as an operator writes it."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import socket
import ssl
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from waarborg.conf import Smtp, env_smtp
from waarborg.rights.services import request_confirm, request_file
from waarborg.rights.tests.support import ON_FILE, customer


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"p@ss w0rd")


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "waarborg test smtp")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp.crt", folder / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, Inbox]]:
    """A local SMTP server that requires STARTTLS and a login; the client trusts its certificate."""
    cert_file, key_file = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=_free_port(),
        tls_context=context,
        require_starttls=True,
        authenticator=inbox.authenticate,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


def _mail_settings(smtp: Smtp) -> dict[str, Any]:
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": smtp.host,
        "EMAIL_PORT": smtp.port,
        "EMAIL_HOST_USER": smtp.user,
        "EMAIL_HOST_PASSWORD": smtp.password,
        "EMAIL_USE_TLS": smtp.starttls,
        "EMAIL_USE_SSL": smtp.ssl,
        "EMAIL_TIMEOUT": 10,
    }


@pytest.mark.django_db
def test_the_acknowledgement_arrives_through_starttls_with_a_working_link(
    smtp_server, monkeypatch, committed
):
    port, inbox = smtp_server
    monkeypatch.setenv(
        "WAARBORG_SMTP_URL", f"smtp://cms-mail:p%40ss%20w0rd@127.0.0.1:{port}?starttls=1"
    )
    smtp = env_smtp("WAARBORG_SMTP_URL")
    assert smtp is not None
    customer()
    with override_settings(
        **_mail_settings(smtp), WAARBORG_PUBLIC_URL="https://privacy.example.nl"
    ):
        request = committed(
            request_file,
            kinds=["access", "portability"],
            email=ON_FILE,
            language="nl",
            channel="center",
        )
    assert inbox.logins == [("cms-mail", "p@ss w0rd")]
    [(recipients, message)] = inbox.messages
    assert recipients == [ON_FILE]
    assert message["From"] == "Aplanner <mail@capitalmediaservices.nl>"
    assert message["Subject"] == f"Uw privacyverzoek {request.reference}: graag bevestigen"
    assert message["Content-Language"] == "nl"
    assert re.fullmatch(
        rf"<letter-\d+\.{request.reference}@capitalmediaservices\.nl>", message["Message-ID"]
    )
    body = message.get_content().replace("\r\n", "\n")
    assert "- inzage\n- dataportabiliteit" in body
    assert "Wij vragen niet om een kopie van een identiteitsbewijs." in body
    link = re.search(r"https://privacy\.example\.nl/privacy/center/confirm/(R-\w+)/(\S+)", body)
    assert link is not None and link.group(1) == request.reference
    assert request_confirm(reference=link.group(1), code=link.group(2)).confirmed_at is not None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.nl", Smtp("mail.example.nl", 25, "", "", ssl=False, starttls=False)),
        (
            "smtp://u%40cms:pw@mail.example.nl:587?starttls=1",
            Smtp("mail.example.nl", 587, "u@cms", "pw", ssl=False, starttls=True),
        ),
        (
            "smtps://u:pw@mail.example.nl",
            Smtp("mail.example.nl", 465, "u", "pw", ssl=True, starttls=False),
        ),
    ],
)
def test_smtp_urls_are_read_as_written(monkeypatch, url, expected):
    monkeypatch.setenv("WAARBORG_SMTP_URL", url)
    assert env_smtp("WAARBORG_SMTP_URL") == expected


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("imap://mail.example.nl", "must be an SMTP URL"),
        ("smtp://mail.example.nl:port", "the port is not a number"),
        ("smtp://mail.example.nl?starttls=maybe", "must be an SMTP URL"),
        ("smtp://mail.example.nl?tls=1", "must be an SMTP URL"),
        ("smtps://mail.example.nl?starttls=1", "TLS already"),
        ("smtp://user:secret@?starttls=1", "smtp://user:***@"),
    ],
)
def test_a_bad_smtp_url_stops_the_server_with_one_sentence(monkeypatch, url, says):
    monkeypatch.setenv("WAARBORG_SMTP_URL", url)
    with pytest.raises(ImproperlyConfigured) as bad:
        env_smtp("WAARBORG_SMTP_URL")
    assert says in str(bad.value)
    assert "secret" not in str(bad.value)


def test_the_smtp_url_can_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "smtp-url"
    secret.write_text("smtps://cms:from-a-file@mail.example.nl\n")
    monkeypatch.delenv("WAARBORG_SMTP_URL", raising=False)
    monkeypatch.setenv("WAARBORG_SMTP_URL_FILE", str(secret))
    smtp = env_smtp("WAARBORG_SMTP_URL")
    assert smtp is not None and smtp.password == "from-a-file"
