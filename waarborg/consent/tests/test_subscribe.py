"""Capture with proof: the sign-up form, the double opt-in mail through a real SMTP server, the
link that confirms once and expires, and the proof rows it leaves."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.test import Client, override_settings
from django.utils import timezone

from waarborg.conftest import staff
from waarborg.consent.models import ConsentText, OptinMail
from waarborg.consent.texts import consent_text
from waarborg.gate.services import gate_check
from waarborg.vault.ledger import CONFIRM_WITHIN
from waarborg.vault.models import PurposeEvent
from waarborg.vault.selectors import subject_ids_by_email

pytestmark = pytest.mark.django_db
MARKETER = staff("marketing")
SUBSCRIBE = "/privacy/subscribe"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def link(self, index: int = -1) -> str:
        body = self.messages[index].get_body(("plain",)).get_content()
        found = re.search(r"https?://\S+/privacy/subscribe/confirm/\S+", body)
        assert found, body
        return "/" + found.group(0).split("/", 3)[3]


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    smtp = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": port,
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
    }
    with override_settings(**smtp):
        yield box
    controller.stop()


Post = Callable[..., Any]


@pytest.fixture
def sign_up(django_capture_on_commit_callbacks: Any) -> Post:
    def post(email: str, *purposes: str, lang: str = "nl", **extra: str) -> Any:
        data: dict[str, Any] = {"name": "Sanne Bakker", "email": email, "consent": list(purposes)}
        for p in purposes:
            data[f"version-{p}"] = consent_text(purpose=p, lang=lang).version  # type: ignore[arg-type]
        data.update(extra)
        with django_capture_on_commit_callbacks(execute=True):
            return Client().post(f"{SUBSCRIBE}?lang={lang}", data)

    return post


def _allowed(email: str, purpose: str) -> bool:
    (subject_id,) = subject_ids_by_email(email)
    return gate_check(actor=MARKETER, purpose=purpose, subject=subject_id).allowed


def test_the_form_asks_each_purpose_separately_with_nothing_ticked() -> None:
    for lang, words in (("nl", "Ja, ik wil"), ("en", "Yes, I want")):
        page = Client().get(f"{SUBSCRIBE}?lang={lang}").content.decode()
        boxes = re.findall(r"<input type=\"checkbox\"[^>]*>", page)
        assert len(boxes) == 2 and not any("checked" in box for box in boxes)
        assert page.count(words) == 2


def test_double_opt_in_mail_confirms_once_and_only_then_the_gate_allows(
    inbox: Inbox, sign_up: Post
) -> None:
    response = sign_up("sanne@example.nl", "newsletter", "offers")
    assert (
        response.status_code == 200
        and "We hebben u een e-mail gestuurd" in response.content.decode()
    )
    assert len(inbox.messages) == 1 and inbox.messages[0]["To"] == "sanne@example.nl"
    assert not _allowed("sanne@example.nl", "newsletter")  # unconfirmed consent never counts
    link = inbox.link()
    client = Client()
    page = client.get(link)  # a mail scanner opening the link confirms nothing
    assert page.status_code == 200 and not _allowed("sanne@example.nl", "newsletter")
    assert client.post(link).status_code == 200
    assert _allowed("sanne@example.nl", "newsletter") and _allowed("sanne@example.nl", "offers")
    again = client.post(link)
    assert again.status_code == 400 and "ongeldig of verlopen" in again.content.decode()
    assert OptinMail.objects.get().sent_at is not None


def test_an_expired_link_is_refused(inbox: Inbox, sign_up: Post) -> None:
    sign_up("late@example.nl", "newsletter", lang="en")
    assert "Please confirm" in inbox.messages[0]["Subject"]
    link = inbox.link()
    with time_machine.travel(timezone.now() + CONFIRM_WITHIN + timedelta(minutes=1)):
        response = Client().post(link)
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert not _allowed("late@example.nl", "newsletter")


def test_every_change_leaves_a_proof_row_with_the_text_version(inbox: Inbox, sign_up: Post) -> None:
    sign_up("proof@example.nl", "offers", lang="en")
    Client().post(inbox.link())
    (subject_id,) = subject_ids_by_email("proof@example.nl")
    given, confirmed = PurposeEvent.objects.filter(subject_id=subject_id, purpose="offers")
    shown = consent_text(purpose="offers", lang="en")
    assert given.kind == PurposeEvent.Kind.CONSENT_GIVEN
    assert (given.text_version, given.channel, given.source) == (
        shown.version,
        "web",
        "form:waarborg",
    )
    assert given.policy_digest and given.at
    assert confirmed.kind == PurposeEvent.Kind.CONSENT_CONFIRMED
    assert ConsentText.objects.get(digest=shown.version).text == shown.text


def test_a_changed_text_and_no_choice_are_refused_clearly(sign_up: Post) -> None:
    response = sign_up("x@example.nl", "newsletter", **{"version-newsletter": "0000"})
    assert (
        response.status_code == 400
        and "toestemmingstekst is gewijzigd" in response.content.decode()
    )
    response = sign_up("x@example.nl", lang="en")
    assert response.status_code == 400 and "Choose at least one" in response.content.decode()
    assert not subject_ids_by_email("x@example.nl")


def test_a_bad_address_is_refused_in_the_readers_language(sign_up: Post) -> None:
    response = sign_up("not-an-address", "newsletter")
    assert response.status_code == 400


def test_the_embeddable_form_may_be_framed_by_listed_sites_only() -> None:
    with override_settings(WAARBORG_BANNER_ORIGINS=["https://www.aplanner.nl"]):
        response = Client().get(f"{SUBSCRIBE}/embed?site=https://www.aplanner.nl")
    assert "X-Frame-Options" not in response
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://www.aplanner.nl" in csp
    assert Client().get(SUBSCRIBE)["X-Frame-Options"] == "DENY"
