"""Invoice numbers run per year without gaps or duplicates, also with two processes at once."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import pytest
from django.db import connection, transaction

from waarborg.audit.tests.support import committed_db  # noqa: F401 - a fixture
from waarborg.billing.models import Invoice
from waarborg.billing.numbers import invoice_number_take
from waarborg.billing.tests.support import customer, invoice


@pytest.mark.django_db
def test_numbers_count_up_per_year_and_start_again_in_a_new_year():
    person = customer()
    made = [invoice(person, issued_on=date(2026, 12, 30 + i)).number for i in range(2)]
    made += [invoice(person, issued_on=date(2027, 1, 1)).number]
    made += [invoice(person, issued_on=date(2026, 6, 1)).number]
    assert made == ["2026-000001", "2026-000002", "2027-000001", "2026-000003"]


@pytest.mark.usefixtures("committed_db")
def test_an_invoice_that_rolls_back_gives_its_number_back():
    person = customer()
    invoice(person, issued_on=date(2026, 5, 1))
    with pytest.raises(RuntimeError), transaction.atomic():
        assert invoice_number_take(year=2026) == 2
        raise RuntimeError("the invoice failed after its number was taken")
    assert invoice(person, issued_on=date(2026, 5, 2)).number == "2026-000002"


@pytest.mark.usefixtures("committed_db")
def test_a_number_is_only_taken_inside_a_transaction():
    with pytest.raises(RuntimeError):
        invoice_number_take(year=2026)


def _env() -> dict[str, str]:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        url = f"postgresql://{db['USER']}@{host}:{port}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url}


@pytest.mark.usefixtures("committed_db")
def test_two_processes_invoicing_at_once_give_every_number_once_without_gaps():
    person, each = customer(), 12
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "waarborg.billing.tests.number_worker", str(person), str(each)],
            env=_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for w in workers:
        assert w.stdin is not None
        w.stdin.write("go\n")
        w.stdin.flush()
    outputs = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [err for _, err in outputs]
    printed = [n for out, _ in outputs for n in out.split()]
    expected = [f"2026-{i:06d}" for i in range(1, 2 * each + 1)]
    assert sorted(printed) == expected
    stored = Invoice.objects.order_by("sequence").values_list("number", flat=True)
    assert list(stored) == expected
