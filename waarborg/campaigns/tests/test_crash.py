"""kill -9 of a real sending process mid-campaign, then a restart: nobody gets a second copy."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from waarborg.campaigns.models import Delivery
from waarborg.campaigns.services import campaign_start
from waarborg.campaigns.tests.support import MARKETER, Sink, draft, people, smtp_sink

N = 2000


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgresql://{db['USER']}@{host}:{port}/{db['NAME']}"


def _sender(port: int, campaign_id: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "WAARBORG_SMTP_URL": f"smtp://127.0.0.1:{port}",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "waarborg", "campaign", "send", str(campaign_id), "--batch", "50"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _when_received(sink: Sink, count: int) -> threading.Event:
    """An event set once the sink holds ``count`` messages (no sleeping in the test)."""
    reached = threading.Event()
    handle = sink.handle_DATA

    async def counting(*args: Any) -> str:
        answer = await handle(*args)
        if len(sink.messages) >= count:
            reached.set()
        return answer

    sink.handle_DATA = counting  # type: ignore[method-assign,assignment]
    return reached


@pytest.mark.usefixtures("committed_db")
def test_kill_9_mid_campaign_and_a_restart_give_nobody_a_second_copy() -> None:
    people(N, purposes=["newsletter"])
    campaign = draft()
    campaign_start(actor=MARKETER, campaign_id=campaign.pk)
    with smtp_sink() as (sink, port):
        reached = _when_received(sink, N // 4)
        first = _sender(port, campaign.pk)
        assert reached.wait(timeout=120), first.communicate()
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        assert first.returncode == -signal.SIGKILL
        received_before = len(sink.messages)
        assert received_before < N

        second = _sender(port, campaign.pk)
        out, err = second.communicate(timeout=300)
        assert second.returncode == 0, err

    copies = sink.recipients()
    assert max(copies.values()) == 1  # nobody twice
    statuses = dict(Delivery.objects.filter(campaign=campaign).values_list("id", "status"))
    assert set(statuses.values()) <= {"sent", "unknown"}
    sent = Delivery.objects.filter(campaign=campaign, status="sent").count()
    unknown = Delivery.objects.filter(campaign=campaign, status="unknown").count()
    assert unknown <= 50  # at most the batch in flight when it was killed
    assert sent <= len(copies) <= sent + unknown
    assert len(copies) >= N - unknown
    assert "sent" in out
