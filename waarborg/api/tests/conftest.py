from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from waarborg.access.services import token_create
from waarborg.api.throttle import TokenRateThrottle, rate_slices_forget
from waarborg.core.actors import Actor


class ApiClient:
    """A Django test client that speaks JSON with a bearer token."""

    def __init__(self, token: str, lang: str = "nl") -> None:
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT_LANGUAGE": lang}

    def _send(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        data = json.dumps(body) if body is not None else None
        call = getattr(self.client, method)
        kwargs = {**self.headers, **extra}
        if data is None:
            return call(path, **kwargs)
        return call(path, data=data, content_type="application/json", **kwargs)

    def get(self, path: str, **extra: Any) -> Any:
        return self._send("get", path, **extra)

    def post(self, path: str, body: Any, **extra: Any) -> Any:
        return self._send("post", path, body, **extra)

    def patch(self, path: str, body: Any, **extra: Any) -> Any:
        return self._send("patch", path, body, **extra)


@pytest.fixture
def api_for(db: None):
    def make(*purposes: str, lang: str = "nl", name: str = "app") -> ApiClient:
        issued = token_create(actor=Actor.job("test"), system=name, purposes=list(purposes))
        return ApiClient(issued.token, lang)

    return make


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters (and this process's slices of them); each test starts with none."""
    TokenRateThrottle.cache.clear()
    rate_slices_forget()
    yield
    TokenRateThrottle.cache.clear()
    rate_slices_forget()
