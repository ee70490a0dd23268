"""``/api/v1/requests``: a back end with a ``rights`` token files and follows a request."""

from __future__ import annotations

import pytest

from waarborg.api.tests.conftest import ApiClient
from waarborg.rights.tests.support import NOT_ON_FILE, ON_FILE, customer

pytestmark = pytest.mark.django_db


def _file(client: ApiClient, email: str, **extra):
    body = {"kinds": ["access", "erasure"], "email": email, **extra}
    return client.post("/api/v1/requests", body)


def test_the_answer_is_the_same_whether_or_not_the_address_is_on_file(api_for):
    customer()
    client = api_for("rights")
    known, unknown = _file(client, ON_FILE), _file(client, NOT_ON_FILE)
    assert known.status_code == unknown.status_code == 201
    a, b = known.json(), unknown.json()
    assert a["reference"] != b["reference"]
    for body in (a, b):
        body.pop("reference")
        body.pop("received_at")
    assert a == b
    assert a["status"] == "awaiting_confirmation"
    assert a["kinds"] == ["access", "erasure"]


def test_the_state_shows_the_deadline_and_days_left_without_personal_data(api_for):
    client = api_for("rights")
    reference = _file(client, ON_FILE).json()["reference"]
    answer = client.get(f"/api/v1/requests/{reference.lower()}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["reference"] == reference
    assert 28 <= body["days_left"] <= 40
    assert ON_FILE not in answer.content.decode()


def test_a_token_without_the_rights_purpose_is_refused_in_words(api_for):
    client = api_for("administration", lang="en")
    answer = _file(client, ON_FILE)
    assert answer.status_code == 403
    assert answer.json()["code"] == "scope_not_permitted"
    assert client.get("/api/v1/requests/R-ABCDEF").status_code == 403


def test_unknown_references_and_bad_bodies_get_a_clear_4xx(api_for):
    client = api_for("rights", lang="en")
    missing = client.get("/api/v1/requests/R-ABCDEF")
    assert missing.status_code == 404
    assert missing.json()["message"] == "There is no request with this reference."
    bad = _file(client, "not-an-address", kinds=["gossip"])
    assert bad.status_code == 422
    assert set(bad.json()["fields"]) == {"email", "kinds"}
    dutch = api_for("rights", lang="nl", name="nl-app")
    assert _file(dutch, "x").json()["fields"]["email"] == "Dit is geen geldig e-mailadres."


def test_filing_for_one_address_is_limited(api_for):
    client = api_for("rights", lang="en")
    answers = [_file(client, NOT_ON_FILE).status_code for _ in range(6)]
    assert answers == [201] * 5 + [429]
    assert _file(client, ON_FILE).status_code == 201  # another address is not held back
