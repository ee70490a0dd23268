from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, reverse
from django_otp import DEVICE_ID_SESSION_KEY  # type: ignore[import-untyped]
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]

from waarborg.access.services import staff_create
from waarborg.campaigns.selectors import campaign_purposes
from waarborg.console import urls as console_urls
from waarborg.core.actors import Actor
from waarborg.policy.rules import actor_purposes
from waarborg.policy.selectors import policy_current
from waarborg.rights.services import request_file
from waarborg.vault.services import subject_create

pytestmark = pytest.mark.django_db

FIELDS = {
    "name": "Karel Klant",
    "email": "karel.klant@example.nl",
    "street": "Laan",
    "house_number": "5",
    "postcode": "2511 AA",
    "city": "Den Haag",
    "iban": "NL91ABNA0417164300",
}
PASSWORD = "a-long-test-password-42"


def _login(role: str | None) -> Client:
    client = Client()
    name = role or "norole"
    staff_create(
        actor=Actor.job("test"), username=name, password=PASSWORD, roles=[role] if role else []
    )
    assert client.login(username=name, password=PASSWORD)
    if role and policy_current().policy.roles[role].requires_mfa:
        _second_factor_given(client, User.objects.get(username=name))
    return client


def _second_factor_given(client: Client, user: User) -> None:
    """As after a right code from the app (the login itself is tried in test_mfa.py)."""
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def _customer() -> str:
    return str(subject_create(actor=Actor.job("test"), product="aplanner-pro", fields=FIELDS).id)


def test_passwords_are_stored_with_argon2():
    staff_create(actor=Actor.job("test"), username="s", password=PASSWORD, roles=["support"])
    assert User.objects.get(username="s").password.startswith("argon2")


def test_login_page_logs_in_and_a_wrong_password_is_told_plainly():
    staff_create(actor=Actor.job("test"), username="s", password=PASSWORD, roles=["support"])
    client = Client()
    bad = client.post(
        reverse("console:login"), {"username": "s", "password": "nope"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert bad.status_code == 200
    assert "do not match" in bad.content.decode()
    good = client.post(reverse("console:login"), {"username": "s", "password": PASSWORD})
    assert good.status_code == 302
    assert client.get(reverse("console:home")).status_code == 200


def test_support_sees_name_and_address_for_administration_but_no_bank_account():
    client = _login("support")
    subject_id = _customer()
    page = client.get(reverse("console:subject", args=[subject_id]) + "?purpose=administration")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Karel Klant" in html and "Laan" in html and "2511 AA" in html
    assert "NL91ABNA0417164300" not in html


def test_marketing_is_refused_without_consent_and_sees_the_reason_in_dutch():
    client = _login("marketing")
    subject_id = _customer()
    page = client.get(reverse("console:subject", args=[subject_id]) + "?purpose=newsletter")
    html = page.content.decode()
    assert page.status_code == 403
    assert 'data-reason="no_consent"' in html
    assert "geen (geldige) toestemming" in html
    assert "Karel" not in html


def test_search_by_email_finds_the_subject_through_the_blind_index():
    client = _login("support")
    subject_id = _customer()
    search = reverse("console:search")
    page = client.post(search, {"q": "KAREL.klant@example.nl"})
    assert subject_id in page.content.decode()
    nothing = client.post(search, {"q": "iemand@example.nl"})
    assert "Geen betrokkene gevonden" in nothing.content.decode()
    bad = client.post(search, {"q": "zomaar"})
    assert bad.status_code == 400
    # An address in the URL is not searched for: it would stay in logs and history.
    by_url = client.get(search + "?q=karel.klant@example.nl")
    assert by_url.status_code == 200 and subject_id not in by_url.content.decode()


def test_the_user_sees_their_own_recent_accesses_only():
    client = _login("support")
    subject_id = _customer()
    client.get(reverse("console:subject", args=[subject_id]) + "?purpose=administration")
    other = _login("billing")
    other.get(reverse("console:subject", args=[subject_id]) + "?purpose=invoicing")
    home = client.get(reverse("console:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # In words: the purpose by its policy name, the action and the decision translated.
    assert "Administration" in home and "Invoicing" not in home
    assert "Read personal data" in home and "gate.read" not in home


def test_the_console_speaks_english_when_asked():
    client = _login("support")
    page = client.get(reverse("console:home"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Find a data subject" in page.content.decode()
    assert "Betrokkene zoeken" in client.get(reverse("console:home")).content.decode()


def _url_names() -> list[str]:
    return [p.name for p in console_urls.urlpatterns if isinstance(p, URLPattern) and p.name]


PUBLIC = {"login", "logout", "verify", "enrol"}  # the last two: tested in test_mfa.py
# Pages of one invoice or batch: their access is tested in waarborg/billing/tests/test_console.py;
# of one deletion certificate: in waarborg/retention/tests/test_console_certificates.py.
ONE_ITEM = {"invoice", "handover", "handover_approve", "handover_export"}
ONE_ITEM |= {"certificate", "certificate_export"}
# of one campaign: in waarborg/campaigns/tests/test_console.py.
ONE_ITEM |= {"campaign", "campaign_edit", "campaign_send"}
MARKETING_ONLY = {"campaigns", "campaign_new"}
OFFICER_ONLY = {"register", "requests", "request", "retention"}
# Pages of one request (test_requests.py has the rest): their arguments and method. Sent empty,
# a decision is refused in words (400) for the officer and refused outright (403) for others.
REQUEST_PAGES = {"request": "get", "classify": "post", "extend": "post", "refuse": "post"}


def test_every_console_page_answers_for_every_role_as_the_policy_says():
    policy = policy_current().policy
    subject_id = _customer()
    reference = request_file(
        kinds=["access"], email=FIELDS["email"], language="nl", channel="center"
    ).reference
    failures = []
    for role in [*policy.roles, None]:
        client = _login(role)
        allowed = {
            p
            for p in actor_purposes(
                policy, Actor(kind="staff", name="x", roles=frozenset([role] if role else []))
            )
            if not policy.purposes[p].aggregate_only  # reports never show one person
        }
        for name in _url_names():
            if name in PUBLIC or name in ONE_ITEM:
                continue
            if name == "subject":
                for purpose in policy.purposes:
                    url = reverse("console:subject", args=[subject_id]) + f"?purpose={purpose}"
                    ok = purpose in allowed and policy.purposes[purpose].basis != "consent"
                    expected = 200 if ok else 403
                    got = client.get(url).status_code
                    if got != expected:
                        failures.append((role, name, purpose, expected, got))
                continue
            expected = 200 if allowed else 403
            officer = bool(role and policy.roles[role].decides_objections)
            if name in OFFICER_ONLY or name == "disclosures":  # the registers, the requests
                expected = 200 if officer else 403
            if name in ("invoices", "handovers"):
                expected = 200 if "invoicing" in allowed else 403
            if name in MARKETING_ONLY:
                expected = 200 if campaign_purposes(purposes=sorted(allowed)) else 403
            method = REQUEST_PAGES.get(name, "get")
            args = [reference] if name in REQUEST_PAGES else []
            if method == "post":  # a decision: refused unless the role decides requests
                expected = 400 if officer else 403
            got = getattr(client, method)(reverse(f"console:{name}", args=args)).status_code
            if got != expected:
                failures.append((role, name, "", expected, got))
        client.logout()
    assert failures == []
    assert set(_url_names()) - PUBLIC - ONE_ITEM == {
        "home",
        "search",
        "subject",
        "register",
        "invoices",
        "handovers",
        "disclosures",
        *OFFICER_ONLY,
        *REQUEST_PAGES,
        *MARKETING_ONLY,
    }


def test_anonymous_visitors_are_sent_to_the_login_page():
    subject_id = _customer()
    for url in (reverse("console:home"), reverse("console:subject", args=[subject_id])):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("console:login"))


def test_there_is_no_django_admin():
    assert Client().get("/admin/").status_code == 404


def test_a_search_is_audited_without_writing_down_what_was_searched():
    from waarborg.audit.models import AuditEntry

    client = _login("support")
    subject_id = _customer()
    client.post(reverse("console:search"), {"q": "karel.klant@example.nl"})
    entry = AuditEntry.objects.filter(action="console.search").get()
    assert str(entry.subject_id) == subject_id
    assert entry.detail == {"by": "email", "matches": 1}
    assert "karel" not in str(entry.canonical()).lower()


def test_a_purpose_with_a_nul_byte_or_too_long_is_refused_not_a_500():
    client = _login("support")
    subject_id = _customer()
    base = reverse("console:subject", args=[subject_id])
    assert client.get(base + "?purpose=admin%00istration").status_code == 403
    assert client.get(base + "?purpose=" + "x" * 500).status_code == 403


def test_the_analyst_sees_no_single_person_in_the_console():
    client = _login("analyst")
    page = client.get(reverse("console:home"))
    assert page.status_code == 403
    subject_id = _customer()
    url = reverse("console:subject", args=[subject_id]) + "?purpose=reporting"
    assert client.get(url).status_code == 403


def test_a_logged_in_user_sent_back_to_the_login_page_lands_on_home_not_an_error():
    client = _login("support")
    response = client.get(reverse("console:login") + "?next=" + reverse("console:login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("console:home")


def test_repeated_wrong_passwords_pause_that_user_name_only():
    staff_create(actor=Actor.job("test"), username="s", password=PASSWORD, roles=["support"])
    staff_create(actor=Actor.job("test"), username="t", password=PASSWORD, roles=["support"])
    client = Client()
    login = reverse("console:login")
    for _ in range(5):
        assert client.post(login, {"username": "s", "password": "guess"}).status_code == 200
    paused = client.post(login, {"username": "S", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")
    assert paused.status_code == 429
    assert "Try again in 15 minutes" in paused.content.decode()
    assert client.get(reverse("console:home")).status_code == 302  # not logged in
    dutch = client.post(login, {"username": "s", "password": PASSWORD})
    assert "Probeer het over 15 minuten opnieuw" in dutch.content.decode()
    assert client.post(login, {"username": "t", "password": PASSWORD}).status_code == 302


def test_a_guesser_elsewhere_cannot_pause_the_real_users_login():
    staff_create(actor=Actor.job("test"), username="s", password=PASSWORD, roles=["support"])
    login = reverse("console:login")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        attacker.post(login, {"username": "s", "password": "guess"})
    assert attacker.post(login, {"username": "s", "password": PASSWORD}).status_code == 429
    owner = Client(REMOTE_ADDR="198.51.100.7")
    assert owner.post(login, {"username": "s", "password": PASSWORD}).status_code == 302


def test_one_client_trying_many_names_is_paused_after_twenty():
    login = reverse("console:login")
    guesser = Client(REMOTE_ADDR="203.0.113.10")
    for n in range(20):
        guesser.post(login, {"username": f"user{n}", "password": "guess"})
    staff_create(actor=Actor.job("test"), username="s", password=PASSWORD, roles=["support"])
    assert guesser.post(login, {"username": "s", "password": PASSWORD}).status_code == 429


def test_a_look_alike_spelling_of_the_user_name_shares_its_pause():
    staff_create(actor=Actor.job("test"), username="s", password=PASSWORD, roles=["support"])
    client = Client()
    login = reverse("console:login")
    for _ in range(5):
        client.post(login, {"username": "s", "password": "guess"})
    # "ｓ" (full-width s) logs in as "s"; it must not get a fresh allowance.
    assert client.post(login, {"username": "\uff53", "password": PASSWORD}).status_code == 429


def test_an_address_with_a_trailing_slash_finds_the_page_and_an_unknown_one_our_404():
    response = Client().get("/console/login/")
    assert response.status_code == 301 and response["Location"] == "/console/login"
    missing = Client().get("/console/nowhere", HTTP_ACCEPT_LANGUAGE="en")
    assert missing.status_code == 404
    assert "URLconf" not in missing.content.decode()  # never Django's technical page


def test_the_privacy_officer_reads_the_register_in_the_console():
    client = _login("privacy_officer")
    page = client.get(reverse("console:register"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    home = client.get(reverse("console:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Record of processing activities" in home
    for purpose in policy_current().policy.purposes.values():
        assert purpose.name.get("en") in page
    support = _login("support")
    assert support.get(reverse("console:register")).status_code == 403
    assert (
        "Record of processing activities"
        not in support.get(reverse("console:home")).content.decode()
    )


def test_the_subject_page_shows_history_and_access_log_only_to_roles_that_may_see_them():
    from waarborg.audit.models import AuditEntry
    from waarborg.vault.ledger import consent_record

    subject_id = _customer()
    consent_record(
        actor=Actor.job("test"),
        subject_id=uuid.UUID(subject_id),
        purpose="offers",
        granted=True,
        text_version="offers-2026-1",
        channel="web",
    )
    url = reverse("console:subject", args=[subject_id])
    pages = {
        role: _login(role).get(url + "?purpose=administration", HTTP_ACCEPT_LANGUAGE="en")
        for role in ("marketing", "support", "privacy_officer")
    }
    texts = {role: page.content.decode() for role, page in pages.items()}
    # Marketing: the consent history of its own purposes, not who accessed the person.
    assert "offers-2026-1" in texts["marketing"] and "Access log" not in texts["marketing"]
    # Support: neither, and no refused reads of them logged on its behalf.
    assert "Consent and objection history" not in texts["support"]
    assert "Access log" not in texts["support"]
    support_reads = AuditEntry.objects.filter(actor="staff:support")
    assert not support_reads.filter(action__in=["ledger.read", "access_log.read"]).exists()
    # The privacy officer: who accessed the data, marketing's refused read among it.
    assert "Access log" in texts["privacy_officer"]
    assert "marketing" in texts["privacy_officer"]


def test_a_search_answers_a_person_the_role_may_not_read_as_unknown():
    from waarborg.audit.models import AuditEntry

    subject_id = _customer()  # no consent for newsletters or offers
    marketing = _login("marketing")
    page = marketing.post(reverse("console:search"), {"q": "karel.klant@example.nl"})
    unknown = marketing.post(reverse("console:search"), {"q": "nobody@example.nl"})
    assert subject_id not in page.content.decode()
    assert page.status_code == unknown.status_code == 200
    first, second = AuditEntry.objects.filter(action="console.search").order_by("id")
    assert first.detail["matches"] == 0
    assert first.detail["withheld"] == {subject_id: "no_consent"}  # the log keeps why
    assert "withheld" not in second.detail
    support = _login("support")
    assert subject_id in support.post(reverse("console:search"), {"q": subject_id}).content.decode()


def test_the_access_log_names_a_refused_change_in_words():
    from waarborg.gate.writes import gate_consent_record
    from waarborg.vault.services import VaultError

    subject_id = uuid.UUID(_customer())
    system = Actor(kind="system", name="app", scopes=frozenset({"newsletter"}))
    with pytest.raises(VaultError):
        gate_consent_record(
            actor=system,
            subject_id=subject_id,
            purpose="newsletter",
            granted=True,
            text_version="t",
            channel="fax",
        )
    url = reverse("console:subject", args=[subject_id]) + "?purpose=administration"
    page = _login("privacy_officer").get(url).content.decode()
    assert "Een wijziging is geweigerd" in page
    assert "een kanaal dat niet is toegestaan" in page and "bad channel" not in page
