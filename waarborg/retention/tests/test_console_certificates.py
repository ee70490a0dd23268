"""The privacy officer reads the plan and the deletion certificates in the console and exports
them; other roles are refused. Screenshots of the pages go to /tmp/sweep-*.png."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY  # type: ignore[import-untyped]
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]

from waarborg.access.services import staff_create
from waarborg.core.actors import Actor
from waarborg.retention.models import SweepRun
from waarborg.retention.planning import schedule_refresh
from waarborg.retention.sweep import retention_sweep
from waarborg.vault.models import Subject
from waarborg.vault.services import subject_build

PASSWORD = "a-long-test-password-42"


def _login(role: str) -> Client:
    client = Client()
    staff_create(actor=Actor.job("test"), username=role, password=PASSWORD, roles=[role])
    assert client.login(username=role, password=PASSWORD)
    device = TOTPDevice.objects.create(
        user=User.objects.get(username=role), name="a", confirmed=True
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _swept() -> SweepRun:
    with time_machine.travel(dt.datetime(2024, 1, 1, tzinfo=dt.UTC), tick=False):
        for n in range(3):
            subject_build(
                product="aplanner-free",
                fields={"name": f"B {n}", "email": f"b{n}@example.nl"},
                kind="visitor",
            ).save(force_insert=True)
    schedule_refresh()
    run = retention_sweep(actor=Actor.job("test"))
    assert run is not None
    return run


@pytest.mark.django_db
def test_the_privacy_officer_reads_and_exports_a_certificate_and_support_may_not() -> None:
    run = _swept()
    officer = _login("privacy_officer")
    page = officer.get(reverse("console:retention"), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Verwijderingsverklaringen" in page and f"Verklaring {run.id}" in page
    detail = officer.get(reverse("console:certificate", args=[run.id]), HTTP_ACCEPT_LANGUAGE="en")
    assert run.digest in detail.content.decode()
    exported = officer.get(reverse("console:certificate_export", args=[run.id, "json"]))
    body: dict[str, Any] = json.loads(b"".join(exported.streaming_content))  # type: ignore[attr-defined]
    erased = {d["subject"] for d in body["deletions"] if d["outcome"] == "erased"}
    assert erased == {str(i) for i in Subject.objects.values_list("id", flat=True)}
    rows = b"".join(
        officer.get(reverse("console:certificate_export", args=[run.id, "csv"])).streaming_content  # type: ignore[attr-defined]
    ).decode()
    assert len(list(csv.reader(io.StringIO(rows)))) == 2 + body["summary"]["deletions"]
    support = _login("support")
    assert support.get(reverse("console:retention")).status_code == 403
    assert support.get(reverse("console:certificate", args=[run.id])).status_code == 403


def test_screenshots_of_the_retention_pages(committed_db: None, live_server: Any) -> None:
    from playwright.sync_api import sync_playwright

    run = _swept()
    officer = _login("privacy_officer")
    cookie = officer.cookies["sessionid"].value
    args = [
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
        page = context.new_page()
        for name, path in (
            ("plan", reverse("console:retention")),
            ("certificate", reverse("console:certificate", args=[run.id])),
        ):
            page.goto(live_server.url + path)
            assert page.locator("h1").count() == 1
            page.screenshot(path=f"/tmp/sweep-{name}.png", full_page=True)  # noqa: S108 - asked for
        browser.close()
