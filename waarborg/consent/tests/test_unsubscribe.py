"""Withdrawal as easy as giving: the unsubscribe link, the RFC 8058 headers and the one-click
POST that withdraws without cookies or a login."""

from __future__ import annotations

import re
from uuid import uuid4

import pytest
from django.test import Client, override_settings

from waarborg.audit.models import AuditEntry
from waarborg.conftest import staff
from waarborg.consent.unsubscribe import unsubscribe_headers, unsubscribe_link
from waarborg.core.errors import Refusal
from waarborg.gate.services import gate_check
from waarborg.vault.models import PurposeEvent
from waarborg.vault.tests.factories import free_customer, grant

pytestmark = pytest.mark.django_db
MARKETER = staff("marketing")
PRODUCTION = {"DEBUG": False, "WAARBORG_PUBLIC_URL": "https://privacy.example.nl"}


def _path(link: str) -> str:
    return link.removeprefix("https://privacy.example.nl")


@override_settings(**PRODUCTION)
def test_one_click_post_without_cookies_withdraws_and_the_gate_then_refuses() -> None:
    subject = free_customer()
    grant(subject, "newsletter")
    grant(subject, "offers")
    assert gate_check(actor=MARKETER, purpose="newsletter", subject=subject.id).allowed
    link = unsubscribe_link(subject_id=subject.id, purpose="newsletter")
    client = Client(enforce_csrf_checks=True)  # a mail program: no cookie, no token
    response = client.post(_path(link), {"List-Unsubscribe": "One-Click"}, secure=True)
    assert response.status_code == 200
    assert not client.cookies
    decision = gate_check(actor=MARKETER, purpose="newsletter", subject=subject.id)
    assert not decision.allowed and decision.reason == "no_consent"
    assert gate_check(actor=MARKETER, purpose="offers", subject=subject.id).allowed
    event = PurposeEvent.objects.filter(subject=subject, purpose="newsletter").last()
    assert event is not None and event.kind == PurposeEvent.Kind.CONSENT_WITHDRAWN
    assert (event.source, event.channel) == ("unsubscribe:one-click", "email")
    assert AuditEntry.objects.filter(subject_id=subject.id, action="consent.withdraw").exists()


@override_settings(**PRODUCTION)
def test_the_page_offers_one_click_and_the_other_purposes_in_both_languages() -> None:
    subject = free_customer()
    grant(subject, "newsletter")
    link = unsubscribe_link(subject_id=subject.id, purpose="newsletter")
    nl = Client().get(_path(link), secure=True).content.decode()
    en = Client().get(_path(link) + "?lang=en", secure=True).content.decode()
    assert "Afmelden voor" in nl and "Aanbiedingen en promoties" in nl
    assert "Unsubscribe from" in en and "Offers and promotions" in en
    # Opening the page (as a mail scanner does) withdraws nothing.
    assert gate_check(actor=MARKETER, purpose="newsletter", subject=subject.id).allowed


@override_settings(**PRODUCTION)
def test_a_made_up_or_altered_token_is_refused_with_a_readable_page() -> None:
    subject = free_customer()
    link = unsubscribe_link(subject_id=subject.id, purpose="newsletter")
    response = Client().post(_path(link)[:-3] + "abc", secure=True)
    assert response.status_code == 400
    assert "niet geldig" in response.content.decode()


@override_settings(**PRODUCTION)
def test_headers_pass_an_rfc_8058_check() -> None:
    headers = unsubscribe_headers(subject_id=uuid4(), purpose="offers")
    assert set(headers) == {"List-Unsubscribe", "List-Unsubscribe-Post"}
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    uris = re.findall(r"<([^<>]+)>", headers["List-Unsubscribe"])
    assert headers["List-Unsubscribe"] == ", ".join(f"<{u}>" for u in uris)
    assert uris[0].startswith("https://privacy.example.nl/privacy/unsubscribe/")
    assert uris[1].startswith("mailto:")
    for value in headers.values():  # DKIM-ready: ASCII, one line, no folding to break
        assert value.isascii() and "\n" not in value and "\r" not in value
        assert len(value) < 998


@override_settings(DEBUG=False, WAARBORG_PUBLIC_URL="http://privacy.example.nl")
def test_production_refuses_a_plain_http_link() -> None:
    with pytest.raises(Refusal) as caught:
        unsubscribe_link(subject_id=uuid4(), purpose="offers")
    assert caught.value.code == "unsubscribe_not_https"
