"""A separate process that invoices one customer N times, for the test that two processes
allocating invoice numbers at once give no duplicate and leave no gap. Prints the numbers."""

from __future__ import annotations

import os
import sys
import uuid
from datetime import date

import django


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "waarborg.settings")
    django.setup()
    from waarborg.billing.services import Line, invoice_create
    from waarborg.core.actors import Actor

    actor = Actor(kind="system", name=f"worker-{os.getpid()}", scopes=frozenset({"invoicing"}))
    subject, count = uuid.UUID(argv[1]), int(argv[2])
    sys.stdin.readline()  # both processes start allocating when the test says go
    for _ in range(count):
        invoice = invoice_create(
            actor=actor,
            subject_id=subject,
            lines=[Line("Aplanner Pro", 1, 1995, 21)],
            issued_on=date(2026, 3, 1),
        )
        print(invoice.number, flush=True)


if __name__ == "__main__":
    main(sys.argv)
