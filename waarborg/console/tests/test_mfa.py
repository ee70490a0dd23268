"""The second step of a staff login: setting up an authenticator app, codes, recovery codes."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from base64 import b32decode
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp  # type: ignore[import-untyped]
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]

from waarborg.access.models import RecoveryCode
from waarborg.access.services import staff_create
from waarborg.core.actors import Actor

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-42"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
CODE = re.compile(r"\b[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}\b")


def _staff(name: str, role: str) -> None:
    staff_create(actor=Actor.job("test"), username=name, password=PASSWORD, roles=[role])


def _password(client: Client, name: str) -> str:
    """Logs in with the password; answers where the login sends the user."""
    response = client.post(reverse("console:login"), {"username": name, "password": PASSWORD})
    assert response.status_code == 302
    return str(response["Location"])


def _code(secret: str) -> str:
    """The code an authenticator app shows now for this key (RFC 6238: 30 s steps, 6 digits)."""
    plain = secret.replace(" ", "")
    key = b32decode(plain + "=" * (-len(plain) % 8))
    return f"{totp(key, t0=0, step=30, digits=6):06d}"


def _enrol(client: Client, clock: Any) -> tuple[str, list[str]]:
    page = client.get(reverse("console:enrol"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page)
    assert secret is not None
    assert "<svg" in page  # the QR code, drawn in the page
    done = client.post(
        reverse("console:enrol"),
        {"code": _code(secret.group(1))},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert done.status_code == 200
    codes = CODE.findall(done.content.decode())
    clock.shift(dt.timedelta(seconds=31))  # the next login gets a fresh code
    return secret.group(1), codes


def test_a_privacy_officer_without_an_app_is_sent_to_set_one_up_and_sees_no_data_before():
    _staff("petra", "privacy_officer")
    client = Client()
    assert _password(client, "petra").startswith(reverse("console:enrol"))
    for name in ("home", "search", "register"):
        response = client.get(reverse(f"console:{name}"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("console:enrol"))
    url = reverse("console:subject", args=[uuid.uuid4()]) + "?purpose=administration"
    assert client.get(url).status_code == 302


def test_enrolment_shows_ten_recovery_codes_once_and_stores_only_their_digests():
    _staff("petra", "privacy_officer")
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        _password(client, "petra")
        _secret, codes = _enrol(client, clock)
        assert len(set(codes)) == 10
        assert client.get(reverse("console:home")).status_code == 200  # this session is verified
        again = client.get(reverse("console:enrol"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Two-step login is on" in again
    assert not CODE.findall(again)  # never shown again
    stored = list(RecoveryCode.objects.values_list("digest", flat=True))
    assert len(stored) == 10
    assert not set(stored) & {c.replace("-", "") for c in codes} and not set(stored) & set(codes)


def test_a_wrong_first_code_does_not_turn_it_on():
    _staff("petra", "privacy_officer")
    client = Client()
    _password(client, "petra")
    client.get(reverse("console:enrol"))
    wrong = client.post(reverse("console:enrol"), {"code": "000000"}, HTTP_ACCEPT_LANGUAGE="en")
    assert wrong.status_code == 400
    assert "That code is not right." in wrong.content.decode()
    assert not TOTPDevice.objects.filter(confirmed=True).exists()


def test_after_enrolment_login_asks_the_code_and_refuses_a_wrong_one_plainly():
    _staff("petra", "privacy_officer")
    with time_machine.travel(START, tick=False) as clock:
        first = Client()
        _password(first, "petra")
        secret, _codes = _enrol(first, clock)
        client = Client()
        assert _password(client, "petra").startswith(reverse("console:verify"))
        assert client.get(reverse("console:home")).status_code == 302
        wrong = client.post(
            reverse("console:verify"), {"code": "123456"}, HTTP_ACCEPT_LANGUAGE="nl"
        )
        assert wrong.status_code == 400
        assert "Die code klopt niet." in wrong.content.decode()
        right = client.post(reverse("console:verify"), {"code": _code(secret)})
        assert right.status_code == 302
        assert client.get(reverse("console:home")).status_code == 200


def test_a_recovery_code_works_once():
    _staff("petra", "privacy_officer")
    with time_machine.travel(START, tick=False) as clock:
        first = Client()
        _password(first, "petra")
        _secret, codes = _enrol(first, clock)
        client = Client()
        _password(client, "petra")
        used = client.post(reverse("console:verify"), {"code": codes[3].upper()})
        assert used.status_code == 302
        assert client.get(reverse("console:home")).status_code == 200
        again = Client()
        _password(again, "petra")
        assert again.post(reverse("console:verify"), {"code": codes[3]}).status_code == 400


def test_wrong_codes_count_toward_the_login_pause_and_the_password_does_not_reset_it():
    _staff("petra", "privacy_officer")
    with time_machine.travel(START, tick=False) as clock:
        first = Client()
        _password(first, "petra")
        secret, _codes = _enrol(first, clock)
        client = Client()
        for attempt in range(5):
            if attempt % 2 == 0:
                _password(client, "petra")  # a new password login between guesses
            client.post(reverse("console:verify"), {"code": f"00000{attempt}"})
        paused = client.post(reverse("console:verify"), {"code": _code(secret)})
    assert paused.status_code == 429
    assert client.get(reverse("console:home")).status_code == 302


def test_a_role_without_the_flag_is_not_asked_but_may_turn_it_on():
    _staff("sam", "support")
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        assert _password(client, "sam") == reverse("console:home")
        assert client.get(reverse("console:home")).status_code == 200
        _enrol(client, clock)
        later = Client()
        assert _password(later, "sam").startswith(reverse("console:verify"))


def test_which_roles_must_use_it_is_the_policys_word(edited_policy):
    edited_policy(lambda p: p["roles"]["support"].update(requires_mfa=True))
    _staff("sam", "support")
    assert _password(Client(), "sam").startswith(reverse("console:enrol"))
