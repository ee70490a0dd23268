"""kill -9 of a real ``waarborg worker`` while it carries out a request, then the worker again:
every step is done once and the answer mailed once, through a real SMTP server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.db import connection

from waarborg.audit.models import AuditEntry
from waarborg.audit.tests.support import committed_db  # noqa: F401 - a fixture
from waarborg.connectors.tests.receiver import SECRET, receiver_running, with_webhook
from waarborg.rights.models import Letter, Request, Step
from waarborg.rights.services import request_confirm, request_file
from waarborg.rights.tests.support import ON_FILE, confirm_code, pro
from waarborg.vault.index import index_cache_clear

pytestmark = pytest.mark.usefixtures("committed_db")


class Sink:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Sink]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, sink
    finally:
        controller.stop()


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgresql://{db['USER']}@{host}:{port}/{db['NAME']}"


def _worker(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "waarborg", "worker", "--id", "w1", "--interval", "0.1", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_worker_killed_mid_request_resumes_with_each_step_and_mail_once(edited_policy, smtp):
    # Earlier tests' keys were cached from transactions that rolled back; this one commits.
    index_cache_clear()
    port, sink = smtp
    with receiver_running() as receiver:
        path = edited_policy(with_webhook(receiver.url))
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "WAARBORG_POLICY": str(path),
            "WAARBORG_SMTP_URL": f"smtp://127.0.0.1:{port}",
            "WAARBORG_WEBHOOK_CRM_SECRET": SECRET,
        }
        subject = pro()
        request_file(kinds=["access", "erasure"], email=ON_FILE, language="en", channel="center")
        reference, code = confirm_code(mail.outbox[-1])
        request = request_confirm(reference=reference, code=code)
        receiver.hold = threading.Event()  # the other system answers only when let go

        first = _worker(env)
        try:
            assert receiver.arrived.wait(60), "the worker never reached the other system"
            first.kill()  # SIGKILL, mid-step: the vault's retrieve is done, the webhook's not
            first.wait(30)
        finally:
            if first.poll() is None:
                first.kill()
        receiver.hold.set()
        assert Request.objects.get(pk=request.pk).status == Request.Status.OPEN
        assert Step.objects.get(action="retrieve", system="crm").status == Step.Status.RUNNING

        again = _worker(env, "--once")
        output, _ = again.communicate(timeout=120)
        assert again.returncode == 0, output
        assert "1 request(s) taken back" in output

    assert Request.objects.get(pk=request.pk).status == Request.Status.DONE
    steps = list(Step.objects.filter(request=request))
    assert [s.status for s in steps] == ["done"] * 5
    assert receiver.effects("retrieve") == 1 and receiver.effects("erase") == 1
    assert {r["key"] for r in receiver.received} == {str(s.pk) for s in steps if s.system == "crm"}
    erasures = AuditEntry.objects.filter(subject_id=subject.id, action="subject.erase")
    assert erasures.count() == 1
    answers = [m for m in sink.messages if "our answer" in m["Subject"]]
    assert len(answers) == 1, (output, [m["Subject"] for m in sink.messages])
    assert answers[0]["To"] == ON_FILE
    assert Letter.objects.get(request=request, kind="answer").sent_at is not None
