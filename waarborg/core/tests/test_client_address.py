"""The client address of a request: X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory, override_settings

from waarborg.conf import env_cache, env_networks, env_rate
from waarborg.core.clients import client_address

PROXIES = [ip_network("10.0.0.0/24"), ip_network("2001:db8:1::/64")]


def _address(remote: str, forwarded: str | None = None) -> str:
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    with override_settings(WAARBORG_TRUSTED_PROXIES=PROXIES):
        return client_address(request)


def test_a_client_that_is_no_trusted_proxy_cannot_choose_its_address():
    assert _address("198.51.100.7", "203.0.113.1") == "198.51.100.7"


def test_behind_a_trusted_proxy_the_address_it_saw_is_the_client():
    assert _address("10.0.0.5", "198.51.100.7") == "198.51.100.7"


def test_what_the_client_wrote_itself_left_of_the_proxy_is_ignored():
    assert _address("10.0.0.5", "203.0.113.1, 198.51.100.7") == "198.51.100.7"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right():
    assert _address("10.0.0.5", "203.0.113.1, 198.51.100.7, 10.0.0.9") == "198.51.100.7"
    assert _address("2001:db8:1::2", "2001:db8:2::7") == "2001:db8:2::7"


def test_a_trusted_proxy_without_a_header_is_itself_the_client():
    assert _address("10.0.0.5") == "10.0.0.5"
    assert _address("10.0.0.5", "not-an-address") == "10.0.0.5"


def test_without_trusted_proxies_the_header_is_never_read():
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_address(request) == "10.0.0.5"


def test_malformed_settings_stop_the_server(monkeypatch):
    monkeypatch.setenv("WAARBORG_TRUSTED_PROXIES", "10.0.0.1, 10.0.0.300")
    with pytest.raises(ImproperlyConfigured, match="WAARBORG_TRUSTED_PROXIES"):
        env_networks("WAARBORG_TRUSTED_PROXIES")
    for bad in ("memcached://127.0.0.1", "redis://", "redis://host:99999", "127.0.0.1:6379"):
        monkeypatch.setenv("WAARBORG_CACHE_URL", bad)
        with pytest.raises(ImproperlyConfigured, match="WAARBORG_CACHE_URL"):
            env_cache("WAARBORG_CACHE_URL", table="t")
    for bad in ("600", "0/m", "10/week", "ten/m"):
        monkeypatch.setenv("WAARBORG_API_RATE", bad)
        with pytest.raises(ImproperlyConfigured, match="WAARBORG_API_RATE"):
            env_rate("WAARBORG_API_RATE", "600/m")


def test_the_cache_is_the_database_unless_a_redis_url_is_given(monkeypatch):
    monkeypatch.delenv("WAARBORG_CACHE_URL", raising=False)
    assert env_cache("WAARBORG_CACHE_URL", table="t")["BACKEND"] == (
        "django.core.cache.backends.db.DatabaseCache"
    )
    monkeypatch.setenv("WAARBORG_CACHE_URL", "redis://127.0.0.1:6379/1")
    assert env_cache("WAARBORG_CACHE_URL", table="t") == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
    }
