"""A real HTTP server that receives waarborg's webhooks, for tests: it checks the signature,
remembers each step by its idempotency key (answering a repeat as the first time, doing nothing
again), and can be told to fail or to hold an answer until the test lets it go."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET = "webhook-test-secret-0123456789"


@dataclass
class Receiver:
    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)  # every POST, as sent
    done: dict[str, dict[str, Any]] = field(default_factory=dict)  # answer per step key
    fail_with: list[int] = field(default_factory=list)  # statuses for the next POSTs
    rows: list[dict[str, Any]] = field(default_factory=list)
    hold: threading.Event | None = None  # answers wait until the test sets it
    arrived: threading.Event = field(default_factory=threading.Event)
    bad_signatures: int = 0

    def effects(self, operation: str) -> int:
        """How many times ``operation`` was really done (a repeated step counts once)."""
        return sum(1 for a in self.done.values() if a["operation"] == operation)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            stamp = self.headers["X-Waarborg-Timestamp"]
            expected = (
                "sha256="
                + hmac.new(
                    SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256
                ).hexdigest()
            )
            if not hmac.compare_digest(expected, self.headers["X-Waarborg-Signature"]):
                receiver.bad_signatures += 1
                return self._answer(401, {})
            sent = json.loads(body)
            receiver.received.append({**sent, "key": self.headers["Idempotency-Key"]})
            receiver.arrived.set()
            if receiver.hold is not None:
                receiver.hold.wait(30)
            if receiver.fail_with:
                return self._answer(receiver.fail_with.pop(0), {"error": "busy"})
            key = self.headers["Idempotency-Key"]
            if key not in receiver.done:  # the work, once per step
                answer: dict[str, Any] = {"operation": sent["operation"]}
                if sent["operation"] == "retrieve":
                    answer["rows"] = receiver.rows
                if sent["operation"] == "erase":
                    answer["erased"] = len(receiver.rows)
                receiver.done[key] = answer
            return self._answer(200, receiver.done[key])

        def _answer(self, status: int, data: dict[str, Any]) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return Handler


@contextmanager
def receiver_running() -> Iterator[Receiver]:
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/waarborg"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        if receiver.hold is not None:
            receiver.hold.set()
        server.shutdown()
        server.server_close()


def with_webhook(url: str, **extra: Any) -> Any:
    """A change for ``edited_policy``: the vault and a webhook system ``crm`` at ``url``."""

    def change(data: dict[str, Any]) -> None:
        data["systems"] = {
            "vault": {"connector": "vault", "name": {"nl": "Kluis", "en": "Vault"}},
            "crm": {
                "connector": "webhook",
                "name": {"nl": "Klantsysteem", "en": "Customer system"},
                "url": url,
                "secret_env": "WAARBORG_WEBHOOK_CRM_SECRET",
                **extra,
            },
        }

    return change
