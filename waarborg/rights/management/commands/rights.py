from __future__ import annotations

import sys
from datetime import date
from typing import Any

from django.core.management.base import CommandError

from waarborg.core.commands import SubcommandCommand, Subcommands
from waarborg.rights.deadlines import due_date, extended_date
from waarborg.rights.letters import letters_send_pending
from waarborg.rights.selectors import requests_overdue
from waarborg.rights.services import requests_lapse


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date; give it as YYYY-MM-DD.") from None


class Command(SubcommandCommand):
    help = (
        "Data-subject requests. 'deadline YYYY-MM-DD' prints the due date of a request received "
        "that day and the latest date an extension can reach ('due:' and 'extended:' lines); "
        "'overdue' lists open requests past their deadline and exits 1 when there is one (for "
        "monitoring); 'send' mails the letters that did not go out (each letter goes once); "
        "'lapse' closes requests whose confirmation link expired unused."
    )

    def add_subcommands(self, sub: Subcommands) -> None:
        deadline = sub.add_parser("deadline", help="due and extended dates for a receipt date")
        deadline.add_argument("received", help="the day a request was received, YYYY-MM-DD")
        sub.add_parser("overdue", help="open requests past their deadline; exit 1 if any")
        sub.add_parser("send", help="send letters that did not go out")
        sub.add_parser("lapse", help="close requests never confirmed")

    def handle_deadline(self, options: dict[str, Any]) -> None:
        received = _day(options["received"])
        self.stdout.write(f"due: {due_date(received).isoformat()}")
        self.stdout.write(f"extended: {extended_date(received).isoformat()}")

    def handle_overdue(self, options: dict[str, Any]) -> None:
        late = requests_overdue()
        for item in late:
            request = item.request
            self.stdout.write(
                f"{request.reference}  due {item.deadline.isoformat()}  "
                f"{-item.days_left} day(s) late  {','.join(request.kinds)}"
            )
        if late:
            self.stderr.write(f"{len(late)} request(s) overdue")
            sys.exit(1)
        self.stdout.write("no request is overdue")

    def handle_send(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"sent {letters_send_pending()} letter(s)")

    def handle_lapse(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"closed {requests_lapse()} unconfirmed request(s)")
