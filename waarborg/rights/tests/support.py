"""Helpers for the rights tests: a customer on file, the mail that went out, its link."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail

from waarborg.vault.services import subject_create
from waarborg.vault.tests.factories import SIGNUP

ON_FILE = "annelies.devries@example.nl"
NOT_ON_FILE = "nobody.here@example.nl"


def customer(email: str = ON_FILE) -> Any:
    fields = {"name": "Annelies de Vries", "email": email}
    return subject_create(actor=SIGNUP, product="aplanner-free", fields=fields)


def outbox() -> list[Any]:
    return list(mail.outbox)


def confirm_code(message: Any) -> tuple[str, str]:
    """(reference, code) from the link in an acknowledgement."""
    found = re.search(r"/privacy/center/confirm/(R-[0-9A-Z]{6})/(\S+)", message.body)
    assert found, message.body
    return found.group(1), found.group(2)
