"""Shared test fixtures: personas, an edited copy of the policy, and no outbound network."""

from __future__ import annotations

import ipaddress
import os
import socket
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.test import override_settings
from django.utils import translation

from waarborg.core.actors import Actor

POLICY_FILE = Path(settings.BASE_DIR) / "policies" / "cms.yaml"

_real_connect = socket.socket.connect


def _local_only(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else None
    if host is not None:
        try:
            local = ipaddress.ip_address(host).is_loopback
        except ValueError:
            local = host in ("localhost",)
        if not local:
            raise RuntimeError(f"outbound network is blocked in tests (tried {host})")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_outbound_network() -> Iterator[None]:
    socket.socket.connect = _local_only  # type: ignore[method-assign,assignment]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    """The test client speaks plain HTTP; with WAARBORG_DEBUG=0 every request would be redirected
    to HTTPS. Set here, before any test module builds an application; tests of the redirect turn
    it back on with override_settings."""
    settings.SECURE_SSL_REDIRECT = False
    # Counters live in a cache every server process shares (the database's by default). Tests
    # run in one process with the database in a transaction, so they count in memory; the tests
    # of sharing (waarborg/access/tests/test_shared_limits.py) use the database and Redis.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Erasures are recorded outside the database (waarborg/vault/erasures.py); production must
    # name the place. Tests record in a fresh directory, also for the commands they start.
    if settings.WAARBORG_ERASURE_LEDGER is None:
        ledger = Path(tempfile.mkdtemp(prefix="waarborg-erasures-"))
        settings.WAARBORG_ERASURE_LEDGER = ledger
        os.environ["WAARBORG_ERASURE_LEDGER"] = str(ledger)


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Counters kept in the cache (failed logins) start at zero in every test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def cms_policy_data() -> dict[str, Any]:
    """The shipped CMS policy as plain data, for tests that edit a copy."""
    data = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture
def edited_policy(tmp_path: Path) -> Iterator[Callable[[Callable[[dict[str, Any]], None]], Path]]:
    """``edited_policy(change)`` writes a copy of the CMS policy changed by ``change`` and makes
    it the policy in force for the rest of the test."""
    overrides: list[override_settings] = []

    def make(change: Callable[[dict[str, Any]], None]) -> Path:
        data = cms_policy_data()
        change(data)
        path = tmp_path / f"policy-{len(overrides)}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        override = override_settings(WAARBORG_POLICY=path)
        override.enable()
        overrides.append(override)
        return path

    yield make
    for override in reversed(overrides):
        override.disable()


def staff(role: str, name: str | None = None) -> Actor:
    return Actor(kind="staff", name=name or f"{role}-user", roles=frozenset({role}))


def system(*purposes: str, name: str = "aplanner-app") -> Actor:
    return Actor(kind="system", name=name, scopes=frozenset(purposes))


@pytest.fixture
def customer_fields() -> dict[str, str]:
    return {
        "name": "Annelies de Vries",
        "email": "annelies.devries@example.nl",
        "phone": "0612345678",
        "street": "Keizersgracht",
        "house_number": "12a",
        "postcode": "1015 CS",
        "city": "Amsterdam",
        "gender": "female",
        "iban": "NL91ABNA0417164300",
    }


def nl(text: object) -> str:
    """A (lazily) translated text as a Dutch reader sees it."""
    with translation.override("nl"):
        return str(text)


def en(text: object) -> str:
    with translation.override("en"):
        return str(text)
