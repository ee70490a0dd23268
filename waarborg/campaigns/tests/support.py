"""Helpers for the campaign tests: a real SMTP sink (aiosmtpd) and an audience made in bulk."""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from django.test import override_settings

from waarborg.campaigns.models import Campaign
from waarborg.campaigns.services import Draft, campaign_save
from waarborg.conftest import staff
from waarborg.policy.selectors import policy_current
from waarborg.vault.bulk import subjects_bulk_create
from waarborg.vault.tests.factories import SIGNUP

MARKETER = staff("marketing", name="marit")
DRAFT = Draft(
    purpose="newsletter",
    name="Nieuwsbrief november",
    subject_nl="Nieuws van aPlanner",
    subject_en="News from aPlanner",
    text_nl="Beste lezer,\n\nDit is ons nieuws.",
    text_en="Dear reader,\n\nThis is our news.",
)


class Sink:
    """Every message the SMTP server accepted, parsed, and a lock: the server runs in a thread."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def recipients(self) -> Counter[str]:
        with self.lock:
            return Counter(str(m["To"]) for m in self.messages)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    """A real SMTP server on a free local port, and Django's mail sent to it."""
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
        ):
            yield sink, port
    finally:
        controller.stop()


def people(n: int, *, purposes: list[str], start: int = 0) -> None:
    """``n`` people with confirmed consent for ``purposes``, addresses person<i>@example.nl."""
    version = policy_current().digest
    for first in range(start, start + n, 1000):
        items = [
            ("aplanner-free", {"name": f"Persoon {i}", "email": f"person{i}@example.nl"}, purposes)
            for i in range(first, min(first + 1000, start + n))
        ]
        subjects_bulk_create(actor=SIGNUP, items=items, accepted_policy_version=version)


def draft(**changes: str) -> Campaign:
    return campaign_save(actor=MARKETER, draft=Draft(**{**vars(DRAFT), **changes}))
