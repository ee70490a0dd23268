"""A real waarborg server and a second site (another origin) that embeds its banner, for the
browser tests. The server starts like ``make serve`` does (development mode, SQLite, the CMS
policy), once per session, so these tests run in the SQLite pass of ``make test`` only."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from waarborg.console.tests import conftest as console

browser = console.browser

EMBEDDING_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>Aplanner</title>
<script src="{base}/static/consent/banner.js" defer></script></head>
<body><main><h1>Aplanner</h1><p id="status-wb_demo_stats" data-ran="ran">not run</p>
<script type="text/plain" data-wb-category="statistics"
  data-wb-src="{base}/static/consent/demo-tag.js" data-cookie="wb_demo_stats"></script>
</main><footer><a href="{base}/privacy#cookies" data-wb-settings>Cookie settings</a></footer>
</body></html>
"""


@dataclass(frozen=True)
class Site:
    base: str  # waarborg
    embedding: str  # a site of CMS's that embeds the banner (another origin)
    env: dict[str, str] = field(default_factory=dict)

    def proof(self, visitor: str) -> list[dict[str, Any]]:
        """The stored choices of a visitor, as ``waarborg cookies proof`` prints them."""
        out = subprocess.run(
            [str(console.BIN), "cookies", "proof", visitor],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [json.loads(line) for line in out.splitlines()]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _embedding_site(root: Path, base: str) -> tuple[ThreadingHTTPServer, str]:
    """A plain static site on ``localhost`` (another origin than waarborg's 127.0.0.1)."""
    for lang in ("nl", "en"):
        (root / f"{lang}.html").write_text(EMBEDDING_PAGE.format(lang=lang, base=base))
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://localhost:{server.server_address[1]}"


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    var = tmp_path_factory.mktemp("banner")
    (var / "dev.kek").write_text(console._run(dict(os.environ), "keys", "generate"))
    port = console._free_port()
    base = f"http://127.0.0.1:{port}"
    embed_dir = var / "site"
    embed_dir.mkdir()
    embedding, embedding_origin = _embedding_site(embed_dir, base)
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
        "WAARBORG_BANNER_ORIGINS": embedding_origin,
    }
    console._run(env, "migrate", "--noinput", "-v0")
    console._run(env, "policy", "apply")
    proc = subprocess.Popen(
        [str(console.BIN), "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/privacy", timeout=1)  # noqa: S310 - our server
                break
            except OSError:
                time.sleep(0.1)
        yield Site(base=base, embedding=embedding_origin, env=env)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        embedding.shutdown()
