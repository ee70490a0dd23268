"""Staff sessions end after 30 minutes without a request and 10 hours after logging in."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse

from waarborg.access.services import staff_create
from waarborg.core.actors import Actor

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-42"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _logged_in_support() -> Client:
    staff_create(actor=Actor.job("test"), username="sam", password=PASSWORD, roles=["support"])
    client = Client()
    assert client.login(username="sam", password=PASSWORD)
    return client


def _home(client: Client) -> int:
    return client.get(reverse("console:home"), HTTP_ACCEPT_LANGUAGE="en").status_code


def test_a_session_used_within_the_idle_time_goes_on():
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in_support()
        for _ in range(4):  # two hours of work, a request every 29 minutes
            clock.shift(dt.timedelta(minutes=29))
            assert _home(client) == 200


def test_after_thirty_idle_minutes_the_user_is_logged_out_and_told_why():
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in_support()
        assert _home(client) == 200
        clock.shift(dt.timedelta(minutes=30, seconds=1))
        response = client.get(reverse("console:home"), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("console:login"))
    text = response.content.decode()
    assert "You were logged out because you did nothing for 30 minutes." in text
    assert not response.wsgi_request.user.is_authenticated
    assert _home(client) == 302  # the old session is gone, not merely refused once


def test_the_idle_message_is_dutch_for_a_dutch_user():
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in_support()
        _home(client)
        clock.shift(dt.timedelta(minutes=31))
        response = client.get(reverse("console:home"), HTTP_ACCEPT_LANGUAGE="nl", follow=True)
    assert "U bent uitgelogd omdat u 30 minuten niets hebt gedaan." in response.content.decode()


def test_an_active_session_ends_ten_hours_after_logging_in():
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in_support()
        for _ in range(9 * 4 + 3):  # a request every 15 minutes for 9 h 45 min
            clock.shift(dt.timedelta(minutes=15))
            assert _home(client) == 200
        clock.shift(dt.timedelta(minutes=15))
        response = client.get(reverse("console:home"), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    text = response.content.decode()
    assert "because you have been logged in for 10 hours" in text
    assert not response.wsgi_request.user.is_authenticated


@override_settings(WAARBORG_SESSION_IDLE_MINUTES=5)
def test_the_idle_time_is_a_setting():
    with time_machine.travel(START, tick=False) as clock:
        client = _logged_in_support()
        _home(client)
        clock.shift(dt.timedelta(minutes=5))
        assert _home(client) == 302


def test_the_settings_refuse_nonsense(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from waarborg.conf import session_idle_minutes, session_max_hours

    monkeypatch.setenv("WAARBORG_SESSION_IDLE_MINUTES", "0")
    with pytest.raises(ImproperlyConfigured, match="WAARBORG_SESSION_IDLE_MINUTES"):
        session_idle_minutes()
    monkeypatch.setenv("WAARBORG_SESSION_MAX_HOURS", "12")
    assert session_max_hours() == 12
