"""Every API operation x every purpose scope answers exactly as the policy says.

The operations come from the OpenAPI document and the expectations from the policy, so a new
endpoint or a changed policy is covered without editing a list here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from waarborg.api.views import api
from waarborg.core.actors import Actor
from waarborg.policy.schema import Policy
from waarborg.policy.selectors import policy_current
from waarborg.vault.selectors import subject_ids_by_email
from waarborg.vault.services import subject_create, subject_erase
from waarborg.vault.tests.factories import grant

pytestmark = pytest.mark.django_db

A = {
    "name": "Anna Alfa",
    "email": "anna.alfa@example.nl",
    "phone": "0612345678",
    "street": "Dorpsstraat",
    "house_number": "1",
    "postcode": "1234 AB",
    "city": "Aduard",
    "gender": "female",
    "iban": "NL91ABNA0417164300",
}
B = {**A, "name": "Bram Beta", "email": "bram.beta@example.nl", "street": "Brink"}


def _customer(fields: dict[str, str]) -> str:
    """A fresh customer with these fields; the address of an earlier one is freed first (an
    address belongs to one living person)."""
    actor = Actor.job("test")
    for earlier in subject_ids_by_email(fields["email"]):
        subject_erase(actor=actor, subject_id=earlier, reason="next case")
    subject = subject_create(actor=actor, product="aplanner-pro", fields=fields)
    for purpose, spec in policy_current().policy.purposes.items():
        if spec.consent:
            grant(subject, purpose)  # given and, under double opt-in, confirmed
    return str(subject.id)


def _readable(policy: Policy, purpose: str, scopes: set[str]) -> bool:
    """A token reads a customer for a purpose it holds, unless the purpose is for totals only or
    answers requests (CMS: ``rights``; only the jobs carrying out a request read under it)."""
    spec = policy.purposes[purpose]
    return (
        purpose in scopes
        and "customer" in spec.subject_kinds
        and not spec.aggregate_only
        and not spec.data_subject_requests
    )


def _direct_marketing(policy: Policy, purpose: str) -> bool:
    spec = policy.purposes[purpose]
    return spec.consent is not None and spec.consent.direct_marketing


def _objectable(policy: Policy, purpose: str) -> bool:
    spec = policy.purposes[purpose]
    marketing = spec.consent is not None and spec.consent.direct_marketing
    return (spec.basis == "legitimate_interest" or marketing) and not spec.aggregate_only


Rule = Callable[[Policy, set[str], str], int]

RULES: dict[tuple[str, str], Rule] = {
    ("post", "/api/v1/subjects"): lambda p, s, _: 201 if "administration" in s else 403,
    ("patch", "/api/v1/subjects/{subject_id}"): lambda p, s, _: (
        200 if "administration" in s else 403
    ),
    ("get", "/api/v1/subjects/{subject_id}"): lambda p, s, q: 200 if _readable(p, q, s) else 403,
    ("get", "/api/v1/subjects"): lambda p, s, q: 200 if _readable(p, q, s) else 403,
    ("post", "/api/v1/subjects/lookup"): lambda p, s, q: 200 if _readable(p, q, s) else 403,
    ("post", "/api/v1/gate/check"): lambda p, s, q: 200,
    ("post", "/api/v1/subjects/{subject_id}/consents"): lambda p, s, q: (
        403 if q not in s else 201 if p.purposes[q].basis == "consent" else 422
    ),
    ("post", "/api/v1/subjects/{subject_id}/objections"): lambda p, s, q: (
        403
        if q not in s
        else 201
        if p.purposes[q].basis in ("consent", "legitimate_interest")
        else 422
    ),
    # the matrix subject's consents are all confirmed: nothing is pending for any purpose
    ("post", "/api/v1/subjects/{subject_id}/consents/confirm"): lambda p, s, q: (
        403 if q not in s else 409
    ),
    # a ledger answers to a scope holding a purpose it concerns, whatever the purpose asked
    ("get", "/api/v1/subjects/{subject_id}/consents"): lambda p, s, q: (
        200 if any(p.purposes[x].basis == "consent" for x in s) else 403
    ),
    ("get", "/api/v1/subjects/{subject_id}/objections"): lambda p, s, q: (
        200 if any(_objectable(p, x) for x in s) else 403
    ),
    # soft opt-in: for the token's own purpose, and only a direct-marketing one (422 otherwise)
    ("post", "/api/v1/subjects/{subject_id}/soft-opt-ins"): lambda p, s, q: (
        403 if q not in s else (201 if _direct_marketing(p, q) else 422)
    ),
    ("get", "/api/v1/policy"): lambda p, s, q: 200,
    ("post", "/api/v1/subjects/{subject_id}/acceptances"): lambda p, s, q: (
        201 if "administration" in s else 403
    ),
    # data-subject requests: a token for the rights purpose (the matrix asks about no request)
    ("post", "/api/v1/requests"): lambda p, s, q: 201 if "rights" in s else 403,
    ("get", "/api/v1/requests/{reference}"): lambda p, s, q: 404 if "rights" in s else 403,
    # invoices: a token for the invoicing purpose (the matrix subject has the paid product; the
    # matrix asks about an invoice number that does not exist)
    ("post", "/api/v1/invoices"): lambda p, s, q: 201 if "invoicing" in s else 403,
    ("get", "/api/v1/invoices/{number}"): lambda p, s, q: 404 if "invoicing" in s else 403,
    ("post", "/api/v1/invoices/{number}/payments"): lambda p, s, q: (
        404 if "invoicing" in s else 403
    ),
    # bounces and complaints: the matrix names no campaign message, which answers alike to all
    ("post", "/api/v1/mail-events"): lambda p, s, q: 404,
}


def _operations() -> list[tuple[str, str]]:
    paths = api.get_openapi_schema()["paths"]
    return sorted((method, path) for path, item in paths.items() for method in item)


def test_every_api_operation_has_an_access_rule():
    assert set(_operations()) == set(RULES)


def _request(client, method: str, path: str, subject_id: str, purpose: str):
    url = path.replace("{subject_id}", subject_id).replace("{reference}", "R-ZZZZZZ")
    url = url.replace("{number}", "2026-999999")
    bodies = {
        "/api/v1/subjects": {
            "product": "aplanner-free",
            # A new address each time: an address belongs to one living person.
            "fields": {"name": "Nieuw", "email": f"nieuw.{uuid.uuid4().hex[:10]}@example.nl"},
        },
        "/api/v1/subjects/{subject_id}": {"fields": {"city": "Zwolle"}},
        "/api/v1/gate/check": {"subject": subject_id, "purpose": purpose},
        "/api/v1/subjects/{subject_id}/consents": {
            "purpose": purpose,
            "granted": True,
            "text_version": "t2",
            "channel": "web",
        },
        "/api/v1/subjects/{subject_id}/objections": {"purpose": purpose},
        "/api/v1/subjects/{subject_id}/soft-opt-ins": {
            "purpose": purpose,
            "similar_products": True,
            "opt_out_offered": True,
        },
        "/api/v1/subjects/{subject_id}/consents/confirm": {"purpose": purpose, "code": "x"},
        "/api/v1/subjects/lookup": {"email": A["email"], "purpose": purpose},
        "/api/v1/subjects/{subject_id}/acceptances": {"version": policy_current().digest[:12]},
        # A new address each time: filing is limited per address.
        "/api/v1/requests": {"kinds": ["access"], "email": f"r.{uuid.uuid4().hex[:10]}@example.nl"},
        "/api/v1/invoices": {
            "subject": subject_id,
            "lines": [{"description": "Pro", "quantity": 1, "unit_cents": 1995, "vat_rate": 21}],
        },
        "/api/v1/invoices/{number}/payments": {"amount_cents": 100, "paid_on": "2026-03-01"},
        "/api/v1/mail-events": {"message_id": "<campaign-9.9@example.nl>", "kind": "complaint"},
    }
    if method == "get":
        query = {
            "/api/v1/subjects/{subject_id}": f"?purpose={purpose}",
            "/api/v1/subjects": f"?email={A['email']}&purpose={purpose}",
        }
        return client.get(url + query.get(path, ""))
    return getattr(client, method)(url, bodies[path])


def test_every_operation_answers_for_every_scope_as_the_policy_says(api_for):
    policy = policy_current().policy
    failures = []
    for scope in policy.purposes:
        for method, path in _operations():
            for purpose in policy.purposes:
                subject_id = _customer(A)  # fresh: earlier objections must not carry over
                client = api_for(scope, name=f"sys-{scope}")
                expected = RULES[(method, path)](policy, {scope}, purpose)
                response = _request(client, method, path, subject_id, purpose)
                if response.status_code != expected:
                    failures.append((scope, method, path, purpose, expected, response.status_code))
                if path == "/api/v1/gate/check":
                    assert response.json()["allowed"] is _readable(policy, purpose, {scope})
                ledger = path.endswith(("/consents", "/objections")) and method == "get"
                if ledger and response.status_code == 200:
                    seen = {e["purpose"] for e in response.json()["events"]}
                    assert seen <= {scope}
    assert failures == []


def test_subject_a_is_never_reachable_through_subject_bs_url(api_for):
    a, b = _customer(A), _customer(B)
    client = api_for(*policy_current().policy.purposes, name="all")
    for purpose in policy_current().policy.purposes:
        response = client.get(f"/api/v1/subjects/{b}?purpose={purpose}")
        body = response.content.decode()
        assert "Anna" not in body and "anna.alfa" not in body
        if response.status_code == 200:
            assert response.json()["id"] == b
    assert a != b
