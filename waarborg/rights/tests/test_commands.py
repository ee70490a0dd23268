"""``waarborg rights deadline`` and ``waarborg rights overdue``, as an operator runs them."""

from __future__ import annotations

from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from waarborg.rights.models import Request
from waarborg.rights.services import request_file

AMS = ZoneInfo("Europe/Amsterdam")


def _run(*args: str) -> tuple[str, str, int]:
    out, err = StringIO(), StringIO()
    code = 0
    try:
        call_command("rights", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return out.getvalue(), err.getvalue(), code


def test_deadline_prints_the_due_and_extended_dates():
    out, _, code = _run("deadline", "2025-11-30")
    assert (out, code) == ("due: 2025-12-30\nextended: 2026-03-02\n", 0)
    assert _run("deadline", "2024-01-31")[0] == "due: 2024-02-29\nextended: 2024-04-30\n"


def test_deadline_refuses_a_date_it_cannot_read():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("rights", "deadline", "31-01-2025")


@pytest.mark.django_db
def test_overdue_lists_late_open_requests_and_exits_1():
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=AMS), tick=False):
        late = request_file(kinds=["access"], email="a@example.nl", language="nl", channel="api")
        waiting = request_file(
            kinds=["erasure"], email="b@example.nl", language="nl", channel="api"
        )
    Request.objects.filter(id=late.id).update(status=Request.Status.OPEN)
    with time_machine.travel(datetime(2026, 4, 2, 23, 0, tzinfo=AMS), tick=False):
        out, _, code = _run("overdue")
    assert (out, code) == ("no request is overdue\n", 0)  # the last day itself is on time
    with time_machine.travel(datetime(2026, 4, 3, 9, 0, tzinfo=AMS), tick=False):
        out, err, code = _run("overdue")
    assert code == 1
    assert out == f"{late.reference}  due 2026-04-02  1 day(s) late  access\n"
    assert waiting.reference not in out  # never confirmed: nothing to answer yet
    assert err == "1 request(s) overdue\n"
