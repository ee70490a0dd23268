"""A choice in the cookie banner is stored as proof, with its audit entry, exactly as made; what
does not fit the banner in force is refused in the visitor's language and stores nothing."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from waarborg.audit.models import AuditEntry
from waarborg.consent.banner import banner_current
from waarborg.consent.models import BannerVersion, CookieChoice
from waarborg.consent.tests.support import CATEGORIES, CHOICE_URL, post_choice
from waarborg.vault.tests.factories import audit_inserts_fail

pytestmark = pytest.mark.django_db

EMBEDDING_SITE = "https://www.aplanner.nl"


def test_a_refusal_is_stored_with_a_new_visitor_id_and_audited(client):
    answer = post_choice(client, "refuse")
    assert answer.status_code == 201
    visitor = answer.json()["visitor"]
    assert re.fullmatch("[0-9a-f]{32}", visitor)
    row = CookieChoice.objects.get()
    assert (row.visitor, row.accepted, row.refused) == (visitor, [], CATEGORIES)
    assert (row.method, row.gpc, row.site, row.lang) == ("refuse", False, "http://testserver", "en")
    assert row.version.digest == banner_current()[0]
    assert row.version.content["nl"]["texts"]["refuse"] == "Weigeren"  # the words shown
    entry = AuditEntry.objects.get(action="cookie_choice")
    assert entry.actor == "subject:cookie-visitor"
    assert entry.detail["visitor"] == visitor
    assert entry.detail["refused"] == CATEGORIES


def test_a_later_choice_of_the_same_visitor_adds_a_row_and_keeps_the_first(client):
    visitor = post_choice(client, "refuse").json()["visitor"]
    answer = post_choice(client, "save", ["marketing"], visitor=visitor)
    assert answer.status_code == 201
    assert answer.json()["accepted"] == ["marketing"]
    rows = list(CookieChoice.objects.filter(visitor=visitor).order_by("chosen_at", "id"))
    assert [(r.method, r.accepted, r.refused) for r in rows] == [
        ("refuse", [], CATEGORIES),
        ("save", ["marketing"], ["statistics"]),
    ]
    assert BannerVersion.objects.count() == 1


def test_accepting_on_the_first_layer_accepts_every_category(client):
    answer = post_choice(client, "accept", ["marketing", "statistics"])
    assert answer.status_code == 201
    assert CookieChoice.objects.get().accepted == CATEGORIES  # in the banner's order


@pytest.mark.parametrize(
    "how",
    [{"headers": {"Sec-GPC": "1"}}, {"gpc": True}],
    ids=["Sec-GPC header", "navigator.globalPrivacyControl"],
)
def test_the_global_privacy_control_signal_is_recorded_with_the_choice(client, how):
    assert post_choice(client, "gpc", **how).status_code == 201
    row = CookieChoice.objects.get()
    assert (row.method, row.gpc, row.accepted) == ("gpc", True, [])


def test_a_gpc_refusal_without_the_signal_is_refused(client):
    assert post_choice(client, "gpc").json()["code"] == "bad_choice"


def test_a_choice_and_its_audit_entry_share_one_transaction(client):
    with audit_inserts_fail(), pytest.raises(Exception, match="audit log unavailable"):
        post_choice(client, "refuse")
    assert CookieChoice.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "code", "nl_message"),
    [
        ({"method": "save", "accepted": ["video"]}, "unknown_category", "geen categorie video"),
        ({"method": "accept", "accepted": ["statistics"]}, "bad_choice", "passen niet bij"),
        ({"method": "refuse", "accepted": ["statistics"]}, "bad_choice", "passen niet bij"),
        ({"method": "maybe"}, "bad_choice", "passen niet bij"),
        ({"method": "refuse", "visitor": "../../etc"}, "bad_visitor", "bezoekerscode"),
        ({"method": "refuse", "extra": 1}, "bad_choice", "niet te lezen"),
        ({"method": "refuse", "accepted": "statistics"}, "bad_choice", "niet te lezen"),
        ({"method": "refuse", "gpc": "yes"}, "bad_choice", "niet te lezen"),
    ],
)
def test_a_choice_that_does_not_fit_is_refused_in_words_and_stores_nothing(
    client, body, code, nl_message
):
    answer = post_choice(client, **{"lang": "nl", **body})
    assert answer.status_code == 400
    assert answer.json()["code"] == code
    assert nl_message in answer.json()["message"]
    assert CookieChoice.objects.count() == 0


def test_an_unreadable_body_is_a_clear_400(client):
    for raw in ("{not json", "[]", '{"method": "refuse"}'):
        answer = client.post(CHOICE_URL, raw, content_type="application/json")
        assert answer.status_code == 400
        assert answer.json()["code"] == "bad_choice"


def test_a_choice_on_a_banner_that_changed_since_it_was_shown_is_refused(client):
    answer = post_choice(client, "accept", CATEGORIES, version="0123456789abcdef")
    assert answer.status_code == 409
    assert answer.json() == {
        "code": "banner_changed",
        "message": "The cookie banner has changed; please choose again.",  # its language
    }
    assert CookieChoice.objects.count() == 0


def test_a_form_post_from_any_site_cannot_record_a_choice(client):
    """A cross-site form or beacon can only send text/plain or form data (no preflight)."""
    body = json.dumps({"method": "refuse", "version": banner_current()[0]})
    for kind in ("text/plain", "application/x-www-form-urlencoded"):
        answer = client.post(CHOICE_URL, body, content_type=kind)
        assert answer.status_code == 415
    assert CookieChoice.objects.count() == 0


def test_the_endpoint_needs_no_csrf_token_because_it_reads_no_cookie():
    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = "not-read"
    assert post_choice(client, "refuse").status_code == 201


def test_a_site_not_listed_is_refused_before_anything_is_read(client):
    answer = post_choice(client, "refuse", headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403
    assert answer.json()["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in answer
    preflight = client.options(CHOICE_URL, headers={"Origin": "https://evil.example"})
    assert preflight.status_code == 403
    assert CookieChoice.objects.count() == 0


@override_settings(WAARBORG_BANNER_ORIGINS=[EMBEDDING_SITE])
def test_a_listed_site_gets_its_preflight_and_its_choice_is_stored_with_its_origin(client):
    preflight = client.options(
        CHOICE_URL,
        headers={"Origin": EMBEDDING_SITE, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == EMBEDDING_SITE
    assert preflight["Access-Control-Allow-Headers"] == "Content-Type"
    answer = post_choice(client, "refuse", headers={"Origin": EMBEDDING_SITE})
    assert answer.status_code == 201
    assert answer["Access-Control-Allow-Origin"] == EMBEDDING_SITE
    assert CookieChoice.objects.get().site == EMBEDDING_SITE


def test_one_address_may_record_a_limited_number_of_choices_per_minute(client):
    answers = [post_choice(client, "refuse").status_code for _ in range(31)]
    assert answers[:30] == [201] * 30
    assert answers[30] == 429
    assert CookieChoice.objects.count() == 30


def test_the_proof_command_prints_a_visitors_choices_and_audits_the_look(client, capsys):
    visitor = post_choice(client, "refuse").json()["visitor"]
    post_choice(client, "save", ["statistics"], visitor=visitor)
    call_command("cookies", "proof", f"{visitor}.anything.after.the.dot")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(x["method"], x["accepted"]) for x in lines] == [
        ("refuse", []),
        ("save", ["statistics"]),
    ]
    assert lines[0]["banner_version"] == banner_current()[0]
    entry = AuditEntry.objects.get(action="cookie_proof_read")
    assert (entry.actor, entry.detail) == ("job:cli", {"visitor": visitor, "rows": 2})
