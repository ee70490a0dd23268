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


def pro(email: str = ON_FILE) -> Any:
    """A paid customer (their invoices are in the books) with every field."""
    from waarborg.vault.tests.factories import pro_fields

    return subject_create(actor=SIGNUP, product="aplanner-pro", fields=pro_fields(email=email))


def confirmed(
    committed: Any, kinds: list[str], *, email: str = ON_FILE, language: str = "nl"
) -> Any:
    """A request for ``kinds`` from ``email``, filed and confirmed by its mailed link."""
    from waarborg.rights.services import request_confirm, request_file

    committed(request_file, kinds=kinds, email=email, language=language, channel="center")
    reference, code = confirm_code(outbox()[-1])
    return committed(request_confirm, reference=reference, code=code)


def carry_out(committed: Any) -> int:
    """Run what the worker runs: the queued tasks, and what they leave for after commit."""
    from waarborg.rights.worker import tasks_run

    return int(committed(tasks_run, worker="test-worker"))


def link(message: Any) -> tuple[str, str]:
    """(reference, code) of the download link in an answer."""
    found = re.search(r"/privacy/center/download/(R-[0-9A-Z]{6})/(\S+)", message.body)
    assert found, message.body
    return found.group(1), found.group(2)
