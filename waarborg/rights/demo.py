"""Demo requests for ``make serve``: one in every state and at every mark of the queue, made
through the services (sealed, audited, their letters written to ``var/mail/``) with days of
receipt chosen so that today's queue shows each mark."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from waarborg.core.actors import Actor
from waarborg.rights.codes import code_digest
from waarborg.rights.deadlines import due_date
from waarborg.rights.models import Request
from waarborg.rights.services import (
    request_confirm,
    request_extend,
    request_file,
    request_refuse,
    requests_lapse,
)
from waarborg.rights.tasks import steps_run
from waarborg.vault.index import email_index
from waarborg.vault.selectors import subject_ids_by_email
from waarborg.vault.services import subject_create

DEMO = Actor.job("demo")
DOMAIN = "demo-requests.example.nl"
# (name, address on file, kinds, channel, days left from..to or None: today, what happens)
PLAN: list[tuple[str, bool, list[str], str, tuple[int, int] | None, str]] = [
    ("new", True, ["access"], "center", None, ""),
    ("nobody", False, ["erasure"], "api", None, ""),
    ("answered", True, ["access", "portability"], "center", (20, 26), "answer"),
    # A rectification waits for a privacy officer to apply it, so these stay in the queue (at
    # their marks) even with `waarborg worker` running.
    ("calm", True, ["rectification"], "center", (24, 30), "confirm"),
    ("week", True, ["rectification", "erasure"], "center", (3, 7), "confirm"),
    ("soon", True, ["rectification", "objection"], "email", (0, 2), "confirm"),
    ("late", True, ["rectification"], "center", (-9, -2), "confirm"),
    ("unclear", True, ["unclear"], "email", (25, 29), "confirm"),
    ("extended", True, ["rectification", "restriction"], "center", (8, 14), "extend"),
    ("refused", True, ["access"], "api", (20, 28), "refuse"),
    ("lapsed", False, ["objection"], "center", (17, 20), "lapse"),
]
WORDS = {
    "calm": "My phone number is wrong: it is 06 9876 5432.",
    "late": "Mijn adres klopt niet meer: ik woon sinds maart op de Oudegracht 200 in Utrecht.",
    "unclear": "Ik wil niet meer dat jullie mij mailen en ik wil weten wat jullie van mij weten.",
}


def _address(name: str) -> str:
    return f"{name}@{DOMAIN}"


def _received(days_left: tuple[int, int] | None) -> datetime:
    """A moment of receipt whose deadline is that many days from today (weekends and holidays
    move deadlines, so the first day of receipt that fits is taken)."""
    now = timezone.localtime()
    if days_left is None:
        return now
    today = now.date()
    for back in range(1, 90):
        day = today - timedelta(days=back)
        if days_left[0] <= (due_date(day) - today).days <= days_left[1]:
            return timezone.make_aware(datetime.combine(day, time(10, 30)))
    raise ValueError(f"no day of receipt gives {days_left} days left")


def _confirm(request: Request) -> None:
    """As if the requester opened the mailed link: the demo cannot read the link it mailed, so
    it sets a code of its own, then confirms through the service."""
    code = secrets.token_urlsafe(18)
    Request.objects.filter(pk=request.pk).update(
        confirm_digest=code_digest(code), confirm_expires=timezone.now() + timedelta(days=1)
    )
    request_confirm(reference=request.reference, code=code)


def _extend(request: Request) -> None:
    _confirm(request)
    reason = "Wij moeten drie systemen doorzoeken en wachten op een antwoord van onze boekhouder."
    request_extend(actor=DEMO, reference=request.reference, reason=reason)


def _answer(request: Request) -> None:
    """Confirmed and carried out at once, in this process (as `waarborg worker` would)."""
    _confirm(request)
    steps_run(request_id=request.pk)


def _refuse(request: Request) -> None:
    reasons = (
        "This is the twelfth identical request this month; we answered it on 3 and 17 November."
    )
    grounds = Request.Grounds.EXCESSIVE
    request_refuse(actor=DEMO, reference=request.reference, grounds=grounds, reasons=reasons)


STEPS: dict[str, Callable[[Request], Any]] = {
    "confirm": _confirm,
    "answer": _answer,
    "extend": _extend,
    "refuse": _refuse,
    "lapse": lambda request: requests_lapse(),
}


def demo_requests_seed() -> int:
    """File the demo requests unless they are there; how many were filed now."""
    if Request.objects.filter(email_index=email_index(_address("new"))).exists():
        return 0
    for name, on_file, kinds, channel, days_left, step in PLAN:
        email = _address(name)
        if on_file and not subject_ids_by_email(email):
            fields = {"name": f"Demo {name.capitalize()}", "email": email}
            subject_create(actor=DEMO, product="aplanner-free", fields=fields)
        request = request_file(
            kinds=kinds,
            email=email,
            language="en" if name in ("calm", "answered", "refused") else "nl",
            channel=channel,
            explanation=WORDS.get(name, ""),
            received_at=_received(days_left),
            actor=DEMO,
        )
        if step:
            STEPS[step](request)
    return len(PLAN)
