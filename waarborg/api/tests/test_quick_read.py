"""The subject read's quick path (``api.views._read_quickly``): it answers the plain case of
``GET /api/v1/subjects/{id}`` without ninja, and must answer exactly as the ninja operation does.
An upper-case id is read by ninja only, so the same request in both forms compares the paths."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import resolve

from waarborg.api.tests.test_api import FREE
from waarborg.api.views import token_rate
from waarborg.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def _customer(api: Any) -> str:
    created = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE})
    assert created.status_code == 201
    return str(created.json()["id"])


def _both(api: Any, subject_id: str, query: str) -> tuple[Any, Any]:
    quick = api.get(f"/api/v1/subjects/{subject_id}{query}")
    full = api.get(f"/api/v1/subjects/{subject_id.upper()}{query}")
    return quick, full


def test_the_quick_path_stands_in_front_of_the_ninja_operations():
    match = resolve("/api/v1/subjects/00000000-0000-4000-8000-000000000000")
    assert match.url_name == "subject_read_quick"


def test_it_answers_every_read_as_the_ninja_operation_does(api_for):
    api = api_for("administration", "newsletter", lang="en")
    subject_id = _customer(api)
    unknown = "00000000-0000-4000-8000-000000000000"
    cases = [
        (subject_id, "?purpose=administration", 200, None),
        (subject_id, "?purpose=newsletter", 403, "no_consent"),
        (subject_id, "?purpose=no-such-purpose", 403, "unknown_purpose"),
        (subject_id, "?purpose=invoicing", 403, "scope_not_permitted"),
        (unknown, "?purpose=administration", 404, "not_found"),
    ]
    for sid, query, status, code in cases:
        before = AuditEntry.objects.count()
        quick, full = _both(api, sid, query)
        assert (quick.status_code, full.status_code) == (status, status), query
        assert quick.json() == full.json(), query
        assert quick["Content-Type"] == full["Content-Type"]
        assert quick["Cache-Control"] == full["Cache-Control"]
        if code is not None:
            assert quick.json()["code"] == code
        # one audit entry per read on each path, allowed or refused, never two
        assert AuditEntry.objects.count() == before + 2, query
    assert quick.json()["message"] == "This data subject does not exist."


def test_what_the_quick_path_does_not_take_still_gets_ninja_s_answers(api_for):
    api = api_for("administration", lang="en")
    subject_id = _customer(api)
    url = f"/api/v1/subjects/{subject_id}"
    assert api.get(f"{url}?purpose=" + "x" * 65).status_code == 422
    assert api.get(url).json()["code"] == "invalid_request"  # no purpose
    # Two purposes: ninja reads the last one, outside this token's scope; the quick path, which
    # would have read the first, leaves the request to ninja.
    both = api.get(f"{url}?purpose=administration&purpose=newsletter")
    assert (both.status_code, both.json()["code"]) == (403, "scope_not_permitted")
    stranger = api.get(f"{url}?purpose=administration", HTTP_AUTHORIZATION="Bearer wrong")
    assert (stranger.status_code, stranger.json()["code"]) == (401, "unauthorized")
    renamed = api.patch(url, {"fields": {"name": "Pieter de Bakker"}})
    assert renamed.status_code == 200  # other methods on the same address reach ninja
    read = api.get(f"{url}?purpose=administration")
    assert read.json()["fields"]["name"] == "Pieter de Bakker"


def test_the_quick_path_counts_against_the_token_s_rate(api_for):
    old = token_rate.rate, token_rate.num_requests, token_rate.duration
    token_rate.rate = "3/d"
    token_rate.num_requests, token_rate.duration = token_rate.parse_rate("3/d")
    try:
        api = api_for("administration")
        subject_id = _customer(api)
        url = f"/api/v1/subjects/{subject_id}?purpose=administration"
        codes = [api.get(url).status_code for _ in range(3)]
        assert codes == [200, 200, 429]  # the POST above took the first of the three
        assert int(api.get(url)["Retry-After"]) > 0
    finally:
        token_rate.rate, token_rate.num_requests, token_rate.duration = old
        token_rate.cache.clear()
