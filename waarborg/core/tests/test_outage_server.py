"""The database really goes away: a throw-away PostgreSQL cluster (Debian's ``initdb``), a real
server on it (gunicorn, ``WAARBORG_DEBUG=0``), the cluster stopped and started under it.

It never touches the shared PostgreSQL: the cluster has its own port, socket and data folder, and
is removed afterwards. It runs once per ``make test``, in the PostgreSQL pass (the browser tests run
in the SQLite one), and is skipped with the reason when ``initdb``/``pg_ctl`` are missing or
cannot run here.
"""

from __future__ import annotations

import contextlib
import glob
import http.cookies
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

BIN = Path(sys.executable).parent
SETUP_TIMEOUT = 120

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="runs its own PostgreSQL cluster; once per make test, in the PostgreSQL pass",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(re.sub(r"\D", "", Path(p).parent.parent.name) or 0),
    )
    return Path(found[-1]).parent if found else None


class Cluster:
    """One PostgreSQL cluster in a temporary folder; as the ``postgres`` user when we are root
    (``initdb`` refuses to run as root)."""

    def __init__(self, pg: Path, folder: Path) -> None:
        self.pg, self.folder, self.port = pg, folder, _free_port()
        self.data, self.sock = folder / "data", folder / "sock"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(
            [*as_postgres, *args], check=True, capture_output=True, text=True, timeout=60
        )

    def create(self) -> None:
        self.sock.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
            shutil.chown(self.sock, "postgres")
        self._run(str(self.pg / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--no-sync")  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.pg / "pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.folder / "log"), "-w", "start")  # fmt: skip

    def stop(self) -> None:
        self._run(str(self.pg / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    pg = _pg_bin()
    if pg is None or not (pg / "pg_ctl").exists():
        pytest.skip("Debian's initdb/pg_ctl (/usr/lib/postgresql/*/bin) are not installed")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: initdb refuses to run as root")
    folder = Path(tempfile.mkdtemp(prefix="waarborg-outage-"))
    made = Cluster(pg, folder)
    try:
        made.create()
        made.start()
    except (subprocess.SubprocessError, OSError, LookupError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        detail = getattr(exc, "stderr", "") or exc
        pytest.skip(f"a throw-away PostgreSQL cluster cannot run here: {detail}")
    try:
        yield made
    finally:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            made.stop()  # fails only when a failed test left it stopped
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str
    cookies: list[str]

    def json(self) -> Any:
        return json.loads(self.text)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer to look at, not to follow


_OPENER = urllib.request.build_opener(_NoRedirect)


def _send(request: urllib.request.Request) -> Answer:
    try:
        with _OPENER.open(request, timeout=10) as response:
            body, status, headers = response.read().decode(), response.status, response.headers
    except urllib.error.HTTPError as error:
        body, status, headers = error.read().decode(), error.code, error.headers
    return Answer(status, dict(headers), body, headers.get_all("Set-Cookie") or [])


@dataclass
class Browser:
    """Plain HTTP with cookies kept by hand (the server marks them Secure, as in production)."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)

    def send(self, path: str, form: dict[str, str] | None = None) -> Answer:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        answer = _send(urllib.request.Request(self.base + path, data=data, headers=headers))  # noqa: S310
        for line in answer.cookies:
            for name, morsel in http.cookies.SimpleCookie(line).items():
                self.cookies[name] = morsel.value
        return answer

    def log_in(self, username: str, password: str) -> None:
        page = self.send("/console/login").text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None, page
        form = {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password}
        assert self.send("/console/login", form).status == 302


def _waarborg(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "waarborg"), *args], env=env, capture_output=True, text=True, check=True,
        timeout=SETUP_TIMEOUT,
    )  # fmt: skip
    return done.stdout


@dataclass(frozen=True)
class Server:
    base: str
    token: str
    login: tuple[str, str]
    env: dict[str, str]

    def api(self, method: str, path: str, lang: str, body: Any = None) -> Answer:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self.token}", "Accept-Language": lang}
        if data is not None:
            headers["Content-Type"] = "application/json"
        return _send(
            urllib.request.Request(self.base + path, data=data, method=method, headers=headers)  # noqa: S310
        )


def _server_env(cluster: Cluster, var: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("WAARBORG_", "DATABASE_"))}
    return {
        **keep,
        "DATABASE_URL": cluster.url,
        "WAARBORG_DEBUG": "0",
        "WAARBORG_SSL_REDIRECT": "0",
        "WAARBORG_SECRET_KEY": "outage-test-" + "k" * 50,
        "WAARBORG_ALLOWED_HOSTS": "127.0.0.1",
        "WAARBORG_VAR_DIR": str(var),
        "WAARBORG_KEK_FILE": str(var / "test.kek"),
        "WAARBORG_ERASURE_LEDGER": str(var / "erasures"),
        "WAARBORG_POLICY": str(settings.WAARBORG_POLICY),
    }


@pytest.fixture(scope="module")
def server(cluster: Cluster) -> Iterator[Server]:
    var = cluster.folder / "var"
    var.mkdir()
    env = _server_env(cluster, var)
    (var / "test.kek").write_text(_waarborg(env, "keys", "generate"))
    _waarborg(env, "migrate", "--noinput", "-v0")
    _waarborg(env, "policy", "apply")
    _waarborg({**env, "WAARBORG_DEBUG": "1"}, "demo_access")  # demo logins: development only
    access = json.loads((var / "demo-access.json").read_text())
    port = _free_port()
    # Production-like: gunicorn, one sync worker (one connection, so every request after the
    # outage shows whether that connection recovered).
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "waarborg.wsgi:application", "-b", f"127.0.0.1:{port}",
         "--workers", "1", "--timeout", "30"],
        env=env, stdout=subprocess.DEVNULL, stderr=(var / "server.log").open("w"),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/privacy", timeout=1)  # noqa: S310 - ours
                break
            except OSError:
                time.sleep(0.05)
        login = ("support", access["logins"]["support"])
        yield Server(base=base, token=access["token"], login=login, env=env)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _subject(name: str) -> dict[str, Any]:
    email = name.lower().replace(" ", ".") + "@example.nl"
    return {"product": "aplanner-free", "fields": {"name": name, "email": email}}


WORDS = {
    "nl": ("De database is nu niet bereikbaar", "Tijdelijk niet beschikbaar"),
    "en": ("The database cannot be reached", "Temporarily unavailable"),
}


def _assert_unavailable(answer: Answer, lang: str, *, api: bool) -> None:
    assert answer.status == 503, answer.text
    assert answer.headers["Retry-After"] == "15"
    assert "Traceback" not in answer.text and "OperationalError" not in answer.text
    if api:
        assert answer.headers["Content-Type"].startswith("application/json")
        assert answer.json()["code"] == "database_unavailable"
        assert answer.json()["message"].startswith(WORDS[lang][0])
    else:
        assert f'<html lang="{lang}">' in answer.text
        assert f"<h1>{WORDS[lang][1]}</h1>" in answer.text


def test_postgresql_stopped_and_started_under_a_running_server(
    cluster: Cluster, server: Server
) -> None:
    created = server.api("POST", "/api/v1/subjects", "en", _subject("Eva Voor"))
    assert created.status == 201, created.text
    read = f"/api/v1/subjects/{created.json()['id']}?purpose=administration"
    staff, public = Browser(server.base), Browser(server.base)
    staff.log_in(*server.login)
    assert staff.send("/console/").status == 200

    cluster.stop()
    for lang in ("nl", "en"):
        _assert_unavailable(server.api("GET", read, lang), lang, api=True)
        _assert_unavailable(staff.send(f"/console/?lang={lang}"), lang, api=False)
        _assert_unavailable(public.send(f"/privacy/versions?lang={lang}"), lang, api=False)
    refused = server.api("POST", "/api/v1/subjects", "en", _subject("Eva Tijdens"))
    _assert_unavailable(refused, "en", api=True)

    cluster.start()  # the same server process, not restarted
    again = server.api("GET", read, "en")
    assert again.status == 200 and again.json()["fields"]["name"] == "Eva Voor"
    assert staff.send("/console/").status == 200
    assert public.send("/privacy/versions?lang=en").status == 200
    # The write refused during the outage left nothing behind: it can be made now (an address
    # belongs to one subject, so a half-stored one would answer 409).
    assert server.api("POST", "/api/v1/subjects", "en", _subject("Eva Tijdens")).status == 201
    # The server's audit sealer thread lost its connection too; it seals again by itself.
    for _ in range(50):
        verified = _waarborg(server.env, "audit", "verify")
        if "not yet sealed" not in verified:
            break
        assert server.api("GET", read, "en").status == 200  # an audited read wakes the sealer
        time.sleep(0.2)
    assert "chain intact" in verified and "not yet sealed" not in verified, verified
