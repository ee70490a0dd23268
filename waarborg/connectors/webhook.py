"""Another system of the controller, reached by an outgoing webhook: a signed JSON POST per step.

The request (``POST`` to the system's ``url``, ``Content-Type: application/json``)::

    {"operation": "retrieve" | "erase" | "restrict" | "lift" | "rectify", "subject": "<id>",
     "request": "R-7K3Q9X", "step": "<step id>"}

and for ``rectify`` also ``"fields": {"<field>": "<corrected value>", ...}``. ``lift`` ends the
restriction a ``restrict`` placed (sent to every system that restricted, once the person was
told); ``rectify`` is sent only to a system whose ``operations`` list it.

The headers: ``Idempotency-Key: <step id>`` (the same on every retry of a step: a receiver
that has seen it answers as the first time and does nothing again), ``X-Waarborg-Timestamp``
(Unix seconds) and ``X-Waarborg-Signature: sha256=<hex>``, the HMAC-SHA256 of
``<timestamp>.<body>`` under the secret in the environment variable ``secret_env`` names (or
``<NAME>_FILE``). A receiver checks the signature and refuses a timestamp more than five minutes
off, so a recorded request cannot be replayed later.

The answer (2xx, JSON object): ``{"rows": [{...}, ...]}`` for retrieve (flat objects of text,
numbers, booleans or null), ``{"erased": <count>}`` for erase, ``{"lifted": false}`` for a lift
the system may not do (anything else: lifted), anything for restrict and rectify. Network
errors, timeouts, 408, 429 and 5xx are tried again, with a doubling pause, up to ``attempts``
times; then the step is tried again later (``ConnectorError(retry=True)``). Any other status or
an answer of another shape fails the step (``retry=False``)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from waarborg.conf import env_secret
from waarborg.connectors.base import ConnectorError, Erased, Person, Retrieved, Row
from waarborg.policy.schema import System

MAX_ANSWER = 10 * 1024 * 1024  # bytes read of an answer; a larger one is refused
FIRST_PAUSE = 0.5  # seconds before the second try; doubled before each further one
MAX_PAUSE = 30.0
RETRY_STATUSES = {408, 425, 429}
Scalar = (str, int, float, bool, type(None))


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of ``<timestamp>.<body>``: what a receiver recomputes to check."""
    digest = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class WebhookConnector:
    local = False

    def __init__(
        self,
        key: str,
        system: System,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.key, self.system, self.sleep, self.clock = key, system, sleep, clock

    def retrieve(self, person: Person) -> Retrieved:
        answer = self._call("retrieve", person)
        rows = answer.get("rows")
        if not isinstance(rows, list) or not all(_flat(r) for r in rows):
            raise ConnectorError(f"{self.key}: retrieve answered without valid rows", retry=False)
        return Retrieved(rows=rows)

    def erase(self, person: Person) -> Erased:
        count = self._call("erase", person).get("erased")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ConnectorError(f"{self.key}: erase answered without a count", retry=False)
        return Erased(count=count)

    def restrict(self, person: Person) -> None:
        self._call("restrict", person)

    def lift(self, person: Person) -> bool:
        lifted = self._call("lift", person).get("lifted", True)
        if not isinstance(lifted, bool):
            raise ConnectorError(f"{self.key}: lift answered without a yes or no", retry=False)
        return lifted

    def rectify(self, person: Person, fields: Mapping[str, str]) -> None:
        self._call("rectify", person, fields=dict(fields))

    def _secret(self) -> bytes:
        name = self.system.secret_env or ""
        value = env_secret(name) if name else None
        if not value:
            raise ConnectorError(f"{self.key}: {name} holds no secret", retry=False)
        return value.encode("utf-8")

    def _call(self, operation: str, person: Person, **extra: object) -> dict[str, Any]:
        body = json.dumps(
            {
                "operation": operation,
                "subject": str(person.subject_id),
                "request": person.reference,
                "step": person.step,
                **extra,
            },
            sort_keys=True,
        ).encode("utf-8")
        secret, pause = self._secret(), FIRST_PAUSE
        for attempt in range(1, self.system.attempts + 1):
            try:
                return self._post(body, secret, person.step)
            except ConnectorError as exc:
                if not exc.retry or attempt == self.system.attempts:
                    raise
            self.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE)
        raise AssertionError("unreachable")  # pragma: no cover

    def _post(self, body: bytes, secret: bytes, step: str) -> dict[str, Any]:
        timestamp = str(int(self.clock()))
        request = urllib.request.Request(  # noqa: S310 - the policy checks the scheme
            str(self.system.url),
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": step,
                "X-Waarborg-Timestamp": timestamp,
                "X-Waarborg-Signature": signature(secret, timestamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.system.timeout_seconds) as answer:  # noqa: S310
                raw = answer.read(MAX_ANSWER + 1)
        except urllib.error.HTTPError as exc:
            retry = exc.code >= 500 or exc.code in RETRY_STATUSES
            raise ConnectorError(f"{self.key}: HTTP {exc.code}", retry=retry) from None
        except (OSError, ValueError) as exc:  # refused, reset, timed out, bad URL
            raise ConnectorError(f"{self.key}: {type(exc).__name__}", retry=True) from None
        if len(raw) > MAX_ANSWER:
            raise ConnectorError(f"{self.key}: answer too large", retry=False)
        try:
            parsed = json.loads(raw or b"{}")
        except ValueError:
            raise ConnectorError(f"{self.key}: answer is not JSON", retry=False) from None
        if not isinstance(parsed, dict):
            raise ConnectorError(f"{self.key}: answer is not a JSON object", retry=False)
        return parsed


def _flat(row: object) -> bool:
    return isinstance(row, dict) and all(
        isinstance(k, str) and isinstance(v, Scalar) for k, v in row.items()
    )


def row_keys(rows: list[Row]) -> list[str]:
    """The columns of ``rows`` in the order they first appear (for a CSV file)."""
    return list(dict.fromkeys(k for r in rows for k in r))
