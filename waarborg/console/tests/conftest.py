"""One real server and one real Chromium for the browser tests of the console.

The server is started like ``make serve`` does (development mode, SQLite, the CMS policy, demo
data, one login per role) in a temporary directory, once per test session, so these tests run in
the SQLite pass of ``make test`` only.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from base64 import b32decode
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
BIN = Path(sys.executable).parent / "waarborg"

browser_only = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="runs its own SQLite server; once per make test, in the SQLite pass",
    ),
]


@dataclass(frozen=True)
class Server:
    base: str
    logins: dict[str, str]  # role -> password, as `waarborg demo_access` prints them
    token: str  # an API token for every purpose
    env: dict[str, str] = field(default_factory=dict)
    # user name -> recovery codes not used yet, for users who set up an app in these tests
    recovery: dict[str, list[str]] = field(default_factory=dict)

    def run(self, *args: str) -> str:
        """A waarborg command against this server's database."""
        return _run(self.env, *args)

    def api(self, path: str, body: dict[str, object]) -> dict[str, Any]:
        request = urllib.request.Request(  # noqa: S310 - our own server
            self.base + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            result: dict[str, Any] = json.loads(response.read())
            return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
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
        yield Server(base=base, logins=access["logins"], token=access["token"], env=env)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, not a browser Playwright downloads; nothing it may reach but our server.
    Per module, not per session: Playwright's event loop must not outlive the browser tests, or
    Django refuses database calls in the tests that follow."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-gpu",
            ],
        )
        yield chromium
        chromium.close()


def totp_code(secret: str, *, ahead: int = 0) -> str:
    """What an authenticator app shows for the key as the page prints it (RFC 6238: 30 s steps,
    6 digits), ``ahead`` steps later. The next step's code is accepted too (one step of clock
    drift) and is never the one already used, which the server refuses a second time."""
    from django_otp.oath import totp  # type: ignore[import-untyped]

    plain = secret.replace(" ", "")
    key = b32decode(plain + "=" * (-len(plain) % 8))
    return f"{totp(key, step=30, t0=0, digits=6, drift=ahead):06d}"


def second_step(page: Any, server: Server, user: str, check: Any = None) -> None:
    """After the password, what the console asks: set up an app (then keep the recovery codes
    it shows) or give a code (one of those recovery codes). ``check(name)`` sees each page."""
    if page.url.split("?")[0].endswith("/console/two-step"):
        if check:
            check("enrol")
        page.fill("#id_code", totp_code(page.locator("#totp-secret").inner_text()))
        page.click("main form button[type=submit]")
        server.recovery[user] = page.locator("#recovery-codes code").all_inner_texts()
        if check:
            check("recovery-codes")
        page.click("main p a")
    elif page.url.split("?")[0].endswith("/console/login/code"):
        if check:
            check("code")
        page.fill("#id_code", server.recovery[user].pop())
        page.click("main form button[type=submit]")
