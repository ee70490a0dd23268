"""Soft opt-in (Telecommunicatiewet 11.7 lid 3): only an existing customer, only similar
products, only with the opt-out offered at collection; recorded as such, never as consent."""

from __future__ import annotations

from typing import Any

import pytest

from waarborg.conftest import staff
from waarborg.gate.services import gate_check
from waarborg.vault.models import PurposeEvent
from waarborg.vault.tests.factories import free_customer, withdraw

pytestmark = pytest.mark.django_db
MARKETER = staff("marketing")
TERMS = {"purpose": "offers", "similar_products": True, "opt_out_offered": True}


def _post(api_for: Any, subject_id: object, **changes: object) -> Any:
    api = api_for("newsletter", "offers")
    return api.post(f"/api/v1/subjects/{subject_id}/soft-opt-ins", {**TERMS, **changes})


def test_an_existing_customer_is_recorded_as_soft_opt_in_and_the_gate_allows(api_for: Any) -> None:
    customer = free_customer()
    response = _post(api_for, customer.id)
    assert response.status_code == 201 and response.json()["consent"] == "granted"
    event = PurposeEvent.objects.get(subject=customer, purpose="offers")
    assert event.kind == PurposeEvent.Kind.SOFT_OPT_IN and event.channel == "email"
    assert gate_check(actor=MARKETER, purpose="offers", subject=customer.id).allowed


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"similar_products": False}, "soft_optin_not_similar"),
        ({"opt_out_offered": False}, "soft_optin_no_opt_out"),
    ],
)
def test_without_its_conditions_soft_opt_in_is_refused_with_a_clear_code(
    api_for: Any, changes: dict[str, object], code: str
) -> None:
    customer = free_customer()
    response = _post(api_for, customer.id, **changes)
    assert response.status_code == 422 and response.json()["code"] == code
    assert not gate_check(actor=MARKETER, purpose="offers", subject=customer.id).allowed


def test_a_subscriber_who_bought_nothing_is_no_customer(api_for: Any) -> None:
    subscriber = free_customer(kind="newsletter_subscriber")
    response = _post(api_for, subscriber.id)
    assert response.json()["code"] == "soft_optin_not_customer"


def test_a_customer_who_unsubscribed_stays_unsubscribed(api_for: Any) -> None:
    customer = free_customer()
    withdraw(customer, "offers")
    response = _post(api_for, customer.id)
    assert response.status_code == 409 and response.json()["code"] == "soft_optin_opted_out"
    assert "geweigerd" in response.json()["message"]
