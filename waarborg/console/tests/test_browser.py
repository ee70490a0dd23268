"""The console tried as a new user would, in a real Chromium, against a real server process.

The server is started like ``make serve`` does (development mode, SQLite, demo data) in a
temporary directory, so this test runs once, in the SQLite pass of ``make test``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
BIN = Path(sys.executable).parent / "waarborg"

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="runs its own SQLite server; once per make test, in the SQLite pass",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    var = tmp_path_factory.mktemp("serve")
    (var / "dev.kek").write_text(_run(dict(os.environ), "keys", "generate"))
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "WAARBORG_SECRET_KEY", "WAARBORG_ALLOWED_HOSTS")
        },
        "WAARBORG_DEBUG": "1",
        "WAARBORG_VAR_DIR": str(var),
        "WAARBORG_KEK_FILE": str(var / "dev.kek"),
        "WAARBORG_POLICY": str(settings.WAARBORG_POLICY),
    }
    _run(env, "migrate", "--noinput", "-v0")
    _run(env, "policy", "apply")
    _run(env, "demo", "--customers", "5")
    _run(env, "demo_access")
    access = json.loads((var / "demo-access.json").read_text())
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN), "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/privacy", timeout=1)  # noqa: S310 - our server
                break
            except OSError:
                time.sleep(0.1)
        yield base, access
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _api(base: str, token: str, path: str, body: dict[str, object]) -> dict[str, str]:
    request = urllib.request.Request(  # noqa: S310 - our own server
        base + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        result: dict[str, str] = json.loads(response.read())
        return result


def test_support_sees_address_not_bank_account_and_marketing_is_refused(server):
    from playwright.sync_api import expect, sync_playwright

    base, access = server
    fields = {
        "name": "Wilma Weg",
        "email": "wilma.weg@example.nl",
        "street": "Herengracht",
        "house_number": "40",
        "postcode": "1015 BN",
        "city": "Amsterdam",
        "iban": "NL91ABNA0417164300",
    }
    _api(base, access["token"], "/api/v1/subjects", {"product": "aplanner-pro", "fields": fields})

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-gpu",
            ],
        )
        page = browser.new_page(locale="nl-NL")

        def login(role: str) -> None:
            page.goto(base + "/console/login")
            page.get_by_label("Gebruikersnaam").fill(role)
            page.get_by_label("Wachtwoord").fill(access["logins"][role])
            page.get_by_role("button", name="Inloggen").click()
            expect(page.get_by_role("heading", name="Betrokkene zoeken")).to_be_visible()

        def open_customer(purpose_label: str) -> None:
            page.get_by_label("E-mailadres of id").fill("wilma.weg@example.nl")
            page.get_by_role("button", name="Zoeken").click()
            page.get_by_role("link", name="Betrokkene").first.click()
            page.get_by_label("Voor welk doeleinde").select_option(label=purpose_label)
            page.get_by_role("button", name="Tonen").click()

        login("support")
        open_customer("Administratieve afhandeling")
        fields_shown = page.locator("dl.fields")
        expect(fields_shown).to_contain_text("Wilma Weg")
        expect(fields_shown).to_contain_text("Herengracht")
        expect(fields_shown).to_contain_text("1015 BN")
        assert "NL91ABNA0417164300" not in page.content()

        page.get_by_role("button", name="Uitloggen").click()
        login("marketing")
        open_customer("Nieuwsbrieven en serviceberichten")
        refusal = page.get_by_role("alert")
        expect(refusal).to_contain_text("geen (geldige) toestemming")
        assert "Wilma" not in page.content()
        browser.close()
