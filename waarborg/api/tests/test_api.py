from __future__ import annotations

import ipaddress
import re
from typing import Any

import pytest

from waarborg.audit.models import AuditEntry
from waarborg.vault.models import Subject

pytestmark = pytest.mark.django_db

FREE = {"name": "Pieter Bakker", "email": "pieter.bakker@example.nl"}


def test_it_registers_a_customer_and_reads_it_back_for_administration(api_for):
    api = api_for("administration")
    created = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE})
    assert created.status_code == 201
    subject_id = created.json()["id"]
    read = api.get(f"/api/v1/subjects/{subject_id}?purpose=administration")
    assert read.status_code == 200
    assert read.json()["fields"] == {"name": "Pieter Bakker", "email": "pieter.bakker@example.nl"}


def test_it_lists_every_bad_field_with_a_message_in_the_callers_language(api_for):
    api = api_for("administration", "invoicing", lang="en")
    fields = {"name": "Els", "email": "not-an-email", "phone": "12", "iban": "NL00XXXX"}
    response = api.post("/api/v1/subjects", {"product": "aplanner-pro", "fields": fields})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_fields"
    assert set(body["fields"]) == {
        "email",
        "phone",
        "iban",
        "street",
        "house_number",
        "postcode",
        "city",
    }
    assert body["fields"]["email"] == "This is not a valid e-mail address."
    assert not Subject.objects.exists()


def test_it_answers_in_dutch_by_default(api_for):
    api = api_for("administration")
    response = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": {"name": "X"}})
    assert response.status_code == 422
    assert response.json()["fields"]["email"] == "Dit gegeven is noodzakelijk voor dit product."


def test_it_refuses_a_bank_account_for_the_free_product(api_for):
    api = api_for("administration", "invoicing")
    fields = {**FREE, "iban": "NL91ABNA0417164300"}
    response = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": fields})
    assert response.status_code == 422
    assert "iban" in response.json()["fields"]


def test_it_rejects_unknown_keys_in_a_request(api_for):
    api = api_for("administration")
    body = {"product": "aplanner-free", "fields": FREE, "admin": True}
    response = api.post("/api/v1/subjects", body)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert "admin" in response.json()["fields"]


def test_it_refuses_bodies_over_64_kib_with_413(api_for):
    api = api_for("administration")
    body = {"product": "aplanner-free", "fields": {**FREE, "name": "x" * 70_000}}
    response = api.post("/api/v1/subjects", body)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_it_asks_for_a_token(client):
    response = client.get("/api/v1/policy")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_a_revoked_token_no_longer_works(api_for):
    from waarborg.access.models import ApiSystem
    from waarborg.access.services import token_revoke
    from waarborg.core.actors import Actor

    api = api_for("administration")
    assert api.get("/api/v1/policy").status_code == 200
    token_revoke(actor=Actor.job("test"), prefix=ApiSystem.objects.get().token_prefix)
    assert api.get("/api/v1/policy").status_code == 401


def test_it_refuses_a_purpose_outside_the_tokens_scope_and_says_why(api_for):
    admin = api_for("administration")
    subject_id = admin.post(
        "/api/v1/subjects", {"product": "aplanner-free", "fields": FREE}
    ).json()["id"]
    marketing = api_for("newsletter", name="mailer")
    response = marketing.get(f"/api/v1/subjects/{subject_id}?purpose=administration")
    assert response.status_code == 403
    assert response.json()["refused"] == "scope_not_permitted"


def test_newsletter_needs_consent_and_withdrawal_is_as_easy(api_for):
    api = api_for("administration", "newsletter")
    subject_id = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE}).json()[
        "id"
    ]
    url = f"/api/v1/subjects/{subject_id}?purpose=newsletter"
    assert api.get(url).json()["refused"] == "no_consent"
    consent = {"purpose": "newsletter", "granted": True, "text_version": "nb-1", "channel": "web"}
    given = api.post(f"/api/v1/subjects/{subject_id}/consents", consent)
    assert given.status_code == 201
    assert given.json()["consent"] == "pending"  # double opt-in: not yet usable
    assert api.get(url).json()["refused"] == "no_consent"
    confirm = {"purpose": "newsletter", "code": given.json()["confirmation_code"]}
    assert api.post(f"/api/v1/subjects/{subject_id}/consents/confirm", confirm).status_code == 200
    assert api.get(url).status_code == 200
    withdraw = {**consent, "granted": False}
    assert api.post(f"/api/v1/subjects/{subject_id}/consents", withdraw).status_code == 201
    assert api.get(url).json()["refused"] == "no_consent"
    events = api.get(f"/api/v1/subjects/{subject_id}/consents").json()["events"]
    assert [e["kind"] for e in events] == [
        "consent_given",
        "consent_confirmed",
        "consent_withdrawn",
    ]
    assert events[0]["text_version"] == "nb-1"


def test_an_objection_to_offers_blocks_it(api_for):
    api = api_for("administration", "offers")
    subject_id = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE}).json()[
        "id"
    ]
    consent = {"purpose": "offers", "granted": True, "text_version": "o-1", "channel": "web"}
    code = api.post(f"/api/v1/subjects/{subject_id}/consents", consent).json()["confirmation_code"]
    api.post(f"/api/v1/subjects/{subject_id}/consents/confirm", {"purpose": "offers", "code": code})
    assert api.get(f"/api/v1/subjects/{subject_id}?purpose=offers").status_code == 200
    objection = api.post(f"/api/v1/subjects/{subject_id}/objections", {"purpose": "offers"})
    assert objection.status_code == 201
    response = api.get(f"/api/v1/subjects/{subject_id}?purpose=offers")
    assert response.json()["refused"] == "objected"
    listed = api.get(f"/api/v1/subjects/{subject_id}/objections").json()["events"]
    assert [e["kind"] for e in listed] == ["objected"]


def test_lookup_by_email_uses_the_blind_index_and_ignores_case(api_for):
    api = api_for("administration")
    subject_id = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE}).json()[
        "id"
    ]
    found = api.get("/api/v1/subjects?email=Pieter.Bakker@Example.NL&purpose=administration")
    assert found.status_code == 200
    assert [s["id"] for s in found.json()["subjects"]] == [subject_id]
    missing = api.get("/api/v1/subjects?email=nobody@example.nl&purpose=administration")
    assert missing.status_code == 404


def test_lookup_does_not_tell_a_system_who_is_a_customer_when_the_gate_refuses(api_for):
    api_for("administration").post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE})
    marketing = api_for("newsletter")
    customer = marketing.get("/api/v1/subjects?email=pieter.bakker@example.nl&purpose=newsletter")
    stranger = marketing.get("/api/v1/subjects?email=nobody@example.nl&purpose=newsletter")
    assert (customer.status_code, customer.json()) == (stranger.status_code, stranger.json())
    assert customer.status_code == 404
    reads = AuditEntry.objects.filter(action="gate.read", purpose="newsletter").order_by("id")
    # Both paths read one subject (the stranger's cannot exist) and log it: the same work, so
    # the time of the answer tells nothing either; the log keeps the real reason.
    assert [e.reason for e in reads] == ["no_consent", "not_found"]


def test_consent_is_a_json_true_not_anything_truthy(api_for):
    api = api_for("administration", "newsletter")
    subject_id = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE}).json()[
        "id"
    ]
    body = {"purpose": "newsletter", "text_version": "t1", "channel": "web"}
    for loose in ("yes", 1, "true"):
        answer = api.post(f"/api/v1/subjects/{subject_id}/consents", {**body, "granted": loose})
        assert answer.status_code == 422, loose
    assert not AuditEntry.objects.filter(action="consent.grant").exists()


def test_gate_check_gives_the_decision_without_values(api_for):
    api = api_for("administration", "newsletter")
    subject_id = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE}).json()[
        "id"
    ]
    allowed = api.post("/api/v1/gate/check", {"subject": subject_id, "purpose": "administration"})
    # Fields in the policy's order.
    assert allowed.json() == {"allowed": True, "fields": ["name", "email"], "reason": None}
    refused = api.post("/api/v1/gate/check", {"subject": subject_id, "purpose": "newsletter"})
    assert refused.json()["allowed"] is False
    assert refused.json()["reason"] == "no_consent"
    assert "Pieter" not in refused.content.decode() + allowed.content.decode()


def test_patch_changes_a_field_and_refuses_to_drop_a_required_one(api_for):
    api = api_for("administration")
    subject_id = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE}).json()[
        "id"
    ]
    ok = api.patch(f"/api/v1/subjects/{subject_id}", {"fields": {"phone": "020 123 4567"}})
    assert ok.status_code == 200
    read = api.get(f"/api/v1/subjects/{subject_id}?purpose=administration").json()
    assert read["fields"]["phone"] == "+31201234567"
    bad = api.patch(f"/api/v1/subjects/{subject_id}", {"fields": {"email": None}})
    assert bad.status_code == 422
    assert "email" in bad.json()["fields"]


def test_unknown_subject_is_404_not_500(api_for):
    api = api_for("administration")
    missing = "00000000-0000-4000-8000-000000000000"
    assert api.get(f"/api/v1/subjects/{missing}?purpose=administration").status_code == 404
    assert api.patch(f"/api/v1/subjects/{missing}", {"fields": {"name": "A"}}).status_code == 404
    assert api.get("/api/v1/subjects/not-a-uuid?purpose=administration").status_code == 422


def test_policy_endpoint_returns_the_loaded_policy_and_its_version(api_for):
    from waarborg.policy.selectors import policy_current

    body = api_for("administration").get("/api/v1/policy").json()
    assert body["version"] == policy_current().digest
    assert set(body["policy"]["purposes"]) >= {"administration", "bookkeeping"}


def test_every_read_is_audited_without_values(api_for):
    api = api_for("administration")
    subject_id = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE}).json()[
        "id"
    ]
    api.get(f"/api/v1/subjects/{subject_id}?purpose=administration")
    entry = AuditEntry.objects.filter(action="gate.read").get()
    assert str(entry.subject_id) == subject_id
    assert entry.fields == ["email", "name"]
    assert "pieter" not in str(entry.canonical()).lower()


def test_it_rate_limits_per_token_with_retry_after(api_for, settings):
    from waarborg.api.views import api as ninja_api

    throttle: Any = ninja_api.throttle[0]  # type: ignore[index]
    old = throttle.rate, throttle.num_requests, throttle.duration
    throttle.rate = "3/d"
    throttle.num_requests, throttle.duration = throttle.parse_rate("3/d")
    try:
        limited = api_for("administration", name="busy")
        other = api_for("administration", name="quiet")
        codes = [limited.get("/api/v1/policy").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        last = limited.get("/api/v1/policy")
        assert last.status_code == 429
        assert int(last["Retry-After"]) > 0
        assert other.get("/api/v1/policy").status_code == 200
    finally:
        throttle.rate, throttle.num_requests, throttle.duration = old
        throttle.cache.clear()


def test_confirming_without_a_pending_consent_is_a_clear_409(api_for):
    api = api_for("administration", "newsletter", lang="en")
    subject_id = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE}).json()[
        "id"
    ]
    response = api.post(
        f"/api/v1/subjects/{subject_id}/consents/confirm", {"purpose": "newsletter", "code": "x"}
    )
    assert response.status_code == 409
    assert response.json() == {
        "code": "nothing_pending",
        "message": "No consent awaits confirmation.",
    }


def test_a_confirmed_new_consent_lifts_an_earlier_objection_and_says_so(api_for):
    api = api_for("administration", "newsletter")
    subject_id = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE}).json()[
        "id"
    ]
    api.post(f"/api/v1/subjects/{subject_id}/objections", {"purpose": "newsletter"})
    url = f"/api/v1/subjects/{subject_id}?purpose=newsletter"
    consent = {"purpose": "newsletter", "granted": True, "text_version": "nb-2", "channel": "web"}
    code = api.post(f"/api/v1/subjects/{subject_id}/consents", consent).json()["confirmation_code"]
    assert api.get(url).json()["refused"] == "objected"  # not until the subject confirms
    confirm = {"purpose": "newsletter", "code": code}
    api.post(f"/api/v1/subjects/{subject_id}/consents/confirm", confirm)
    assert api.get(url).status_code == 200
    from waarborg.vault.models import PurposeEvent

    confirmed = PurposeEvent.objects.get(kind="consent_confirmed")
    assert "objection" in confirmed.note


@pytest.mark.parametrize(
    "path, body",
    [
        ("/api/v1/subjects", {"product": "aplanner-free", "fields": {**FREE, "name": "A\x00B"}}),
        ("/api/v1/subjects", {"product": "aplanner\x00-free", "fields": FREE}),
        (
            "/api/v1/gate/check",
            {"subject": "00000000-0000-4000-8000-000000000000", "purpose": "admin\x00istration"},
        ),
    ],
)
def test_a_nul_byte_anywhere_is_a_422_not_a_500(api_for, path, body):
    api = api_for("administration")
    response = api.post(path, body)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


def test_a_nul_byte_or_a_very_long_purpose_in_a_query_is_refused_not_a_500(api_for):
    api = api_for("administration")
    subject_id = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE}).json()[
        "id"
    ]
    assert api.get(f"/api/v1/subjects/{subject_id}?purpose=a%00b").status_code == 422
    long = api.get(f"/api/v1/subjects/{subject_id}?purpose={'x' * 300}")
    assert long.status_code == 422


def test_refusals_carry_a_stable_code(api_for):
    api = api_for("administration", "newsletter")
    subject_id = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE}).json()[
        "id"
    ]
    body = api.get(f"/api/v1/subjects/{subject_id}?purpose=newsletter").json()
    assert body["code"] == body["refused"] == "no_consent"


def test_unknown_api_paths_and_methods_answer_in_json(api_for):
    api = api_for("administration", lang="en")
    missing = api.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    wrong = api.client.delete("/api/v1/policy", **api.headers)
    assert wrong.status_code == 405
    assert wrong.json() == {
        "code": "method_not_allowed",
        "message": "This method is not allowed here.",
    }


def test_a_tampered_ciphertext_is_refused_and_logged_as_refused(api_for):
    api = api_for("administration")
    subject_id = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE}).json()[
        "id"
    ]
    subject = Subject.objects.get(id=subject_id)
    token = subject.values["name"]
    subject.values["name"] = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    Subject.objects.filter(id=subject_id).update(values=subject.values)
    response = api.get(f"/api/v1/subjects/{subject_id}?purpose=administration")
    assert response.status_code == 403
    assert response.json()["code"] == "integrity_error"
    entry = AuditEntry.objects.filter(action="gate.read").get()
    assert (entry.decision, entry.reason) == ("refused", "integrity_error")


def test_a_ledger_is_refused_like_a_read_and_every_probe_is_audited(api_for):
    from uuid import uuid4

    from waarborg.core.actors import Actor
    from waarborg.vault.services import subject_erase, subject_restrict

    officer = Actor.job("test")
    api = api_for("administration", "newsletter", lang="en")
    ids = [
        api.post(
            "/api/v1/subjects",
            {"product": "aplanner-free", "fields": {**FREE, "email": f"p{n}@example.nl"}},
        ).json()["id"]
        for n in range(2)
    ]
    subject_restrict(actor=officer, subject_id=ids[0], reason="disputed accuracy")
    subject_erase(actor=officer, subject_id=ids[1], reason="request")
    unknown = str(uuid4())
    answers = {
        subject_id: api.get(f"/api/v1/subjects/{subject_id}/consents")
        for subject_id in (*ids, unknown)
    }
    assert [(r.status_code, r.json()["code"]) for r in answers.values()] == [
        (403, "restricted"),
        (403, "erased"),
        (404, "not_found"),
    ]
    # A system whose scope holds no consent purpose learns nothing, not even whether it exists.
    security = api_for("security")
    assert security.get(f"/api/v1/subjects/{unknown}/consents").status_code == 403
    assert security.get(f"/api/v1/subjects/{ids[0]}/consents").status_code == 403
    listed = AuditEntry.objects.filter(action="consent.list").order_by("id")
    assert [(str(e.subject_id), e.reason) for e in listed] == [
        (ids[0], "restricted"),
        (ids[1], "erased"),
        (unknown, "not_found"),
        (unknown, "scope_not_permitted"),
        (ids[0], "scope_not_permitted"),
    ]
    objection = api.post(f"/api/v1/subjects/{unknown}/objections", {"purpose": "newsletter"})
    assert objection.status_code == 404
    assert AuditEntry.objects.filter(
        action="objection.record", subject_id=unknown, reason="not_found"
    ).exists()


def test_errors_outside_the_api_functions_read_accept_language_like_the_api(api_for):
    api = api_for("administration")
    headers = {"HTTP_ACCEPT_LANGUAGE": "de, en;q=0.5"}
    unknown_path = api.get("/api/v1/nowhere", **headers)
    unknown_subject = api.get(
        "/api/v1/subjects/00000000-0000-4000-8000-000000000000?purpose=administration", **headers
    )
    assert unknown_path.json()["message"] == "This address does not exist in the API."
    assert unknown_subject.json()["message"] == "This data subject does not exist."


def test_errors_name_what_is_allowed_and_never_repeat_what_was_sent(api_for):
    api = api_for("administration", "newsletter", lang="en")
    markup = "<img src=x onerror=alert(1)>"
    product = api.post("/api/v1/subjects", {"product": markup, "fields": FREE})
    assert product.status_code == 422
    assert markup not in product.content.decode()
    assert "aplanner-free" in product.json()["fields"]["product"]
    subject_id = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE}).json()[
        "id"
    ]
    consent = {"purpose": "newsletter", "granted": True, "text_version": "t1", "channel": markup}
    channel = api.post(f"/api/v1/subjects/{subject_id}/consents", consent)
    assert channel.status_code == 422
    assert markup not in channel.content.decode()
    long_key = api.post(
        "/api/v1/subjects", {"product": "aplanner-free", "fields": {**FREE, "k" * 3000: "x"}}
    )
    assert long_key.status_code == 422
    assert "k" * 100 not in long_key.content.decode()


def test_a_system_records_only_fields_its_purposes_cover(api_for):
    admin = api_for("administration", lang="en")
    subject_id = admin.post(
        "/api/v1/subjects", {"product": "aplanner-free", "fields": FREE}
    ).json()["id"]
    iban = admin.patch(f"/api/v1/subjects/{subject_id}", {"fields": {"iban": "NL91ABNA0417164300"}})
    assert iban.status_code == 403
    assert set(iban.json()["fields"]) == {"iban"}
    refused = AuditEntry.objects.filter(action="subject.update", decision="refused").get()
    assert (refused.fields, refused.reason) == (["iban"], "scope_not_permitted")
    pro = {**FREE, "street": "Markt", "house_number": "1", "postcode": "1234 AB", "city": "Ede"}
    pro["email"] = "paid.customer@example.nl"
    paid = {"product": "aplanner-pro", "fields": {**pro, "iban": "NL91ABNA0417164300"}}
    assert admin.post("/api/v1/subjects", paid).status_code == 403
    assert api_for("administration", "invoicing").post("/api/v1/subjects", paid).status_code == 201


def test_the_api_docs_load_their_scripts_from_this_server_not_a_cdn(client):
    page = client.get("/api/docs").content.decode()
    assert "cdn" not in page.lower()
    script = re.search(r'src="([^"]*swagger-ui-bundle\.js)"', page)
    assert script is not None
    assert client.get(script.group(1)).status_code == 200


def test_a_request_for_another_host_gets_a_json_400(client):
    response = client.get("/api/v1/ping", HTTP_HOST="elders.example", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json() == {"code": "bad_request", "message": "The request cannot be handled."}


def test_an_aggregate_only_scope_reads_no_ones_objections(api_for):
    from waarborg.core.actors import Actor
    from waarborg.vault.ledger import objection_record

    subject_id = (
        api_for("administration")
        .post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE})
        .json()["id"]
    )
    objection_record(actor=Actor.job("test"), subject_id=subject_id, purpose="reporting")
    answer = api_for("reporting").get(f"/api/v1/subjects/{subject_id}/objections")
    assert answer.status_code == 403
    assert "objected" not in answer.content.decode()


def test_every_lookup_is_audited_a_miss_too(api_for):
    api_for("administration").get("/api/v1/subjects?email=nobody@example.nl&purpose=administration")
    entry = AuditEntry.objects.filter(action="subject.lookup").get()
    assert entry.detail == {"matches": 0}
    assert "nobody" not in str(entry.canonical())


def test_a_write_refused_by_the_vault_is_audited(api_for):
    from waarborg.core.actors import Actor
    from waarborg.vault.services import subject_erase

    api = api_for("administration")
    subject_id = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE}).json()[
        "id"
    ]
    subject_erase(actor=Actor.job("test"), subject_id=subject_id, reason="request")
    answer = api.patch(f"/api/v1/subjects/{subject_id}", {"fields": {"city": "Ede"}})
    assert answer.status_code == 409
    entry = AuditEntry.objects.filter(action="api.refused").get()
    assert (str(entry.subject_id), entry.reason) == (subject_id, "erased")


def test_a_double_opt_in_is_confirmed_only_with_the_code_from_the_persons_link(api_for):
    api = api_for("administration", "newsletter", lang="en")
    subject_id = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE}).json()[
        "id"
    ]
    consent = {"purpose": "newsletter", "granted": True, "text_version": "nb-3", "channel": "web"}
    code = api.post(f"/api/v1/subjects/{subject_id}/consents", consent).json()["confirmation_code"]
    confirm_url = f"/api/v1/subjects/{subject_id}/consents/confirm"
    # The system that recorded the grant cannot confirm it by itself.
    guessed = api.post(confirm_url, {"purpose": "newsletter", "code": "guess"})
    assert guessed.status_code == 422
    assert guessed.json()["message"] == "This confirmation link is not valid or has expired."
    assert api.post(confirm_url, {"purpose": "newsletter"}).status_code == 422  # no code at all
    assert api.post(confirm_url, {"purpose": "newsletter", "code": code}).status_code == 200
    # Single use: the same link does nothing a second time.
    assert api.post(confirm_url, {"purpose": "newsletter", "code": code}).status_code == 409


def test_a_confirmation_link_expires_after_seven_days(api_for):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    api = api_for("administration", "newsletter")
    subject_id = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE}).json()[
        "id"
    ]
    consent = {"purpose": "newsletter", "granted": True, "text_version": "nb-4", "channel": "web"}
    code = api.post(f"/api/v1/subjects/{subject_id}/consents", consent).json()["confirmation_code"]
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        late = api.post(
            f"/api/v1/subjects/{subject_id}/consents/confirm",
            {"purpose": "newsletter", "code": code},
        )
    assert late.status_code == 422 and late.json()["code"] == "bad_code"


def test_a_lookup_by_post_keeps_the_address_out_of_the_url(api_for):
    api = api_for("administration")
    created = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE}).json()
    body = {"email": FREE["email"], "purpose": "administration"}
    found = api.post("/api/v1/subjects/lookup", body)
    assert found.status_code == 200
    assert [s["id"] for s in found.json()["subjects"]] == [created["id"]]
    assert (
        api.post("/api/v1/subjects/lookup", {**body, "email": "no@example.nl"}).status_code == 404
    )


def test_an_address_belongs_to_one_living_person(api_for):
    api = api_for("administration", lang="en")
    first = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE})
    again = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE})
    assert first.status_code == 201
    assert again.status_code == 409
    assert again.json() == {
        "code": "email_taken",
        "message": "This e-mail address already belongs to another person on file.",
    }
    other = {**FREE, "email": "someone.else@example.nl"}
    second = api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": other}).json()
    taken = api.patch(f"/api/v1/subjects/{second['id']}", {"fields": {"email": FREE["email"]}})
    assert taken.status_code == 409
    from waarborg.core.actors import Actor
    from waarborg.vault.services import subject_erase

    subject_erase(actor=Actor.job("test"), subject_id=first.json()["id"], reason="request")
    # Once erased, the address is free again.
    assert (
        api.post("/api/v1/subjects", {"product": "aplanner-free", "fields": FREE}).status_code
        == 201
    )


def test_a_changed_statement_is_accepted_again_by_its_short_version(api_for):
    from waarborg.policy.selectors import policy_current
    from waarborg.policy.services import policy_version_record

    policy_version_record(loaded=policy_current())
    api = api_for("administration", lang="en")
    digest = policy_current().digest
    created = api.post(
        "/api/v1/subjects",
        {"product": "aplanner-free", "fields": FREE, "accepted_policy_version": digest[:12]},
    ).json()
    url = f"/api/v1/subjects/{created['id']}/acceptances"
    again = api.post(url, {"version": digest[:12]})
    assert again.status_code == 201
    assert again.json()["version"] == digest  # stored in full
    unknown = api.post(url, {"version": "0" * 12})
    assert unknown.status_code == 422
    assert unknown.json()["fields"] == {
        "version": "This version of the privacy statement does not exist."
    }
    assert api_for("newsletter").post(url, {"version": digest[:12]}).status_code == 403
    from waarborg.vault.models import Acceptance

    assert Acceptance.objects.filter(subject_id=created["id"]).count() == 2


def test_requests_without_a_valid_token_are_limited_per_client(api_for, settings):
    from django.test import Client

    from waarborg.api.throttle import ClientLimitedBearer

    anonymous: Any = ClientLimitedBearer.anonymous
    old = anonymous.num_requests, anonymous.duration
    # A day's window: a minute's could end between the requests and start the count again.
    anonymous.num_requests, anonymous.duration = 3, 86400
    settings.WAARBORG_TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/24")]
    try:
        guesser = Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.9")
        bad = "Bearer wb_guess"
        codes = [
            guesser.get("/api/v1/policy", HTTP_AUTHORIZATION=bad).status_code for _ in range(3)
        ]
        codes.append(guesser.get("/api/v1/policy").status_code)  # no token at all
        assert codes == [401, 401, 401, 429]
        # Another client behind the same proxy is not paused, nor is a valid token elsewhere.
        other = Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.7")
        assert other.get("/api/v1/policy", HTTP_AUTHORIZATION=bad).status_code == 401
        assert api_for("administration").get("/api/v1/policy").status_code == 200
    finally:
        anonymous.num_requests, anonymous.duration = old
