"""Your choices in the privacy center: a link mailed through a real SMTP server (aiosmtpd), the
page it opens, withdrawal and consent given there (and what the gate then allows), the same
answer for an address not on file, used and expired links, the short session, the limits, and
this browser's cookie choice."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.test import Client, override_settings
from django.utils import timezone

from waarborg.audit.models import AuditEntry
from waarborg.conftest import staff, system
from waarborg.consent.choices import LINK_HOURS, LINKS_PER_ADDRESS, SESSION_MINUTES
from waarborg.consent.models import ChoicesLink
from waarborg.consent.optin import soft_optin_record
from waarborg.consent.tests.support import post_choice
from waarborg.consent.texts import consent_text
from waarborg.gate.services import gate_check
from waarborg.rights.tests.support import NOT_ON_FILE, ON_FILE, customer
from waarborg.vault.models import PurposeEvent
from waarborg.vault.services import subject_restrict

pytestmark = pytest.mark.django_db
MARKETER = staff("marketing")
HOME = "/privacy/center"
PAGE = "/privacy/center/choices"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def body(self, index: int = -1) -> str:
        return str(self.messages[index].get_body(("plain",)).get_content())

    def link(self, index: int = -1) -> str:
        found = re.search(r"https?://\S+(/privacy/center/choices/open/\S+)", self.body(index))
        assert found, self.body(index)
        return found.group(1)


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    smtp = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": port,
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
    }
    with override_settings(**smtp):
        yield box
    controller.stop()


Ask = Callable[..., Any]


@pytest.fixture
def ask(django_capture_on_commit_callbacks: Any) -> Ask:
    """``ask(email, lang, client)``: the form on the center's page, as a browser sends it."""

    def send(email: str, lang: str = "en", client: Client | None = None, **meta: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return (client or Client()).post(
                f"{PAGE}/link?lang={lang}", {"choices_email": email}, **meta
            )

    return send


def _opened(inbox: Inbox, lang: str = "en") -> Client:
    """A browser that used the newest link: it holds the session."""
    browser = Client()
    answer = browser.post(inbox.link())
    assert answer.status_code == 303 and answer["Location"] == f"{PAGE}?lang={lang}"
    return browser


def _allowed(subject_id: Any, purpose: str) -> bool:
    return gate_check(actor=MARKETER, purpose=purpose, subject=subject_id).allowed


def test_the_center_offers_your_choices_in_both_languages(client: Client) -> None:
    for lang, words in (("en", "Your choices"), ("nl", "Uw keuzes")):
        html = client.get(f"{HOME}?lang={lang}").content.decode()
        assert f'<h2 id="choices-h">{words}</h2>' in html
        assert 'name="choices_email"' in html and 'href="#choices"' in html


def test_the_answer_is_the_same_whether_or_not_the_address_is_on_file(
    inbox: Inbox, ask: Ask
) -> None:
    customer()
    pages = []
    for email in (ON_FILE, NOT_ON_FILE):
        sent = ask(email)
        assert sent.status_code == 303
        pages.append(Client().get(sent["Location"]).content.decode())
    assert pages[0] == pages[1] and "Check your mail" in pages[0]
    known, unknown = inbox.messages
    assert known["To"] == ON_FILE and "/privacy/center/choices/open/" in inbox.body(0)
    assert unknown["To"] == NOT_ON_FILE and "/privacy/center/choices/" not in inbox.body(1)
    assert "We hold no personal data linked to this e-mail address" in inbox.body(1)
    assert ChoicesLink.objects.count() == 1  # nothing kept about the unknown address
    code = inbox.link(0).split("/")[-1].split("?")[0]
    assert code not in str(list(ChoicesLink.objects.values()))  # only its digest is stored
    lookups = AuditEntry.objects.filter(action="rights.lookup", purpose="rights")
    assert lookups.count() == 2


def test_the_page_lists_every_consent_purpose_in_words_with_the_exact_text(
    inbox: Inbox, ask: Ask
) -> None:
    customer()
    ask(ON_FILE, lang="nl")
    assert "Uw link naar uw keuzes" in inbox.messages[0]["Subject"]
    opening = Client().get(inbox.link())
    assert opening.status_code == 200 and "Mijn keuzes openen" in opening.content.decode()
    browser = _opened(inbox, lang="nl")
    html = browser.get(f"{PAGE}?lang=nl").content.decode()
    for purpose in ("newsletter", "offers"):
        text = consent_text(purpose=purpose, lang="nl")
        assert text.text.replace("“", "&ldquo;")[:20] in html or text.text[:20] in html
        assert text.version in html
    assert html.count("Nooit gevraagd") == 2
    assert "Cookiekeuzes horen bij deze browser" in html
    assert ON_FILE not in html
    reads = AuditEntry.objects.filter(actor="system:privacy-center")
    assert {"ledger.read", "gate.check"} <= set(reads.values_list("action", flat=True))


def test_giving_and_withdrawing_take_effect_at_once_with_proof_rows(inbox: Inbox, ask: Ask) -> None:
    subject = customer()
    ask(ON_FILE)
    browser = _opened(inbox)
    offer = consent_text(purpose="newsletter", lang="en")
    given = browser.post(
        f"{PAGE}?lang=en", {"action": "give", "purpose": "newsletter", "version": offer.version}
    )
    assert given.status_code == 303
    page = browser.get(given["Location"]).content.decode()
    assert "is recorded and confirmed" in page and "Given and confirmed" in page
    assert _allowed(subject.id, "newsletter") and not _allowed(subject.id, "offers")
    rows = list(PurposeEvent.objects.filter(subject_id=subject.id, purpose="newsletter"))
    assert [r.kind for r in rows] == ["consent_given", "consent_confirmed"]
    assert (rows[0].text_version, rows[0].channel, rows[0].source) == (
        offer.version,
        "web",
        "center:choices",
    )
    assert rows[0].policy_digest and rows[1].source == "system:privacy-center"

    withdrawn = browser.post(f"{PAGE}?lang=en", {"action": "withdraw", "purpose": "newsletter"})
    page = browser.get(withdrawn["Location"]).content.decode()
    assert "is withdrawn. It takes effect at once" in page
    assert not _allowed(subject.id, "newsletter")
    assert gate_check(actor=MARKETER, purpose="newsletter", subject=subject.id).reason == (
        "no_consent"
    )
    last = PurposeEvent.objects.filter(subject_id=subject.id, purpose="newsletter").last()
    assert last is not None and (last.kind, last.source) == ("consent_withdrawn", "center:choices")
    assert "Withdrawn" in page


def test_a_changed_text_is_refused_and_nothing_is_recorded(inbox: Inbox, ask: Ask) -> None:
    subject = customer()
    ask(ON_FILE)
    browser = _opened(inbox)
    answer = browser.post(
        f"{PAGE}?lang=en", {"action": "give", "purpose": "offers", "version": "0"}
    )
    assert answer.status_code == 409 and "consent text has changed" in answer.content.decode()
    assert not PurposeEvent.objects.filter(subject_id=subject.id).exists()


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "This link does not work"), ("nl", "Deze link werkt niet")],
)
def test_a_used_or_expired_link_is_refused_in_words(
    inbox: Inbox, ask: Ask, lang: str, words: str
) -> None:
    customer()
    ask(ON_FILE, lang=lang)
    link = inbox.link()
    _opened(inbox, lang=lang)
    for answer in (Client().get(link), Client().post(link)):
        assert answer.status_code == 400 and words in answer.content.decode()
    ask(ON_FILE, lang=lang)
    later = timezone.now() + timedelta(hours=LINK_HOURS, minutes=1)
    with time_machine.travel(later):
        answer = Client().post(inbox.link())
    assert answer.status_code == 400 and words in answer.content.decode()
    assert "/privacy/center/choices/open/" not in answer.content.decode()


def test_a_new_link_replaces_the_older_one(inbox: Inbox, ask: Ask) -> None:
    customer()
    ask(ON_FILE)
    ask(ON_FILE)
    assert Client().post(inbox.link(0)).status_code == 400
    assert Client().post(inbox.link(1)).status_code == 303


def test_the_session_lasts_half_an_hour_and_closes_on_request(inbox: Inbox, ask: Ask) -> None:
    customer()
    ask(ON_FILE)
    browser = _opened(inbox)
    assert browser.get(PAGE).status_code == 200
    later = timezone.now() + timedelta(minutes=SESSION_MINUTES, seconds=5)
    with time_machine.travel(later):
        ended = browser.get(f"{PAGE}?lang=en")
        assert ended.status_code == 403 and "Your session has ended" in ended.content.decode()
        refused = browser.post(PAGE, {"action": "withdraw", "purpose": "offers"})
        assert refused.status_code == 403
    ask(ON_FILE)
    browser = _opened(inbox)
    closed = browser.post(f"{PAGE}/end?lang=nl")
    assert closed.status_code == 200 and "Uw keuzes zijn gesloten" in closed.content.decode()
    assert browser.get(PAGE).status_code == 403
    assert Client().get(PAGE).status_code == 403  # no cookie, no session


def test_links_are_limited_per_address_and_per_client(inbox: Inbox, ask: Ask) -> None:
    customer()
    for _ in range(LINKS_PER_ADDRESS):
        assert ask(ON_FILE).status_code == 303
    refused = ask(ON_FILE.upper(), lang="nl")
    assert refused.status_code == 429 and "Te veel links" in refused.content.decode()
    assert len(inbox.messages) == LINKS_PER_ADDRESS
    answers = [ask(f"p{i}@example.nl", REMOTE_ADDR="192.0.2.7").status_code for i in range(21)]
    assert answers == [303] * 20 + [429]


def test_a_bad_address_is_told_on_the_form(ask: Ask) -> None:
    answer = ask("not-an-address", lang="en")
    html = answer.content.decode()
    assert answer.status_code == 400 and "This is not a valid e-mail address." in html
    assert 'id="choices-email-error"' in html


def test_the_page_shows_this_browsers_cookie_choice_not_the_persons(inbox: Inbox, ask: Ask) -> None:
    customer()
    ask(ON_FILE)
    browser = _opened(inbox)
    page = browser.get(f"{PAGE}?lang=en").content.decode()
    assert "This browser has made no cookie choice" in page and "data-wb-settings" in page
    chosen = post_choice(Client(), "save", ["statistics"]).json()
    browser.cookies["wb_consent"] = f"{chosen['visitor']}.{chosen['version']}.statistics.1.0"
    page = browser.get(f"{PAGE}?lang=en").content.decode()
    choice = page.split('id="cookie-choice"')[1].split("</dl>")[0]
    assert "Statistics" in choice and "Marketing" in choice and chosen["version"] in choice
    assert chosen["visitor"] not in page
    shown = AuditEntry.objects.filter(detail__visitor=chosen["visitor"])
    assert shown.count() == 1  # the choice itself; showing it to its browser links nobody


def test_consent_from_the_sign_up_form_shows_with_the_words_agreed_to(
    inbox: Inbox, ask: Ask, django_capture_on_commit_callbacks: Any
) -> None:
    subject = customer()
    agreed = consent_text(purpose="offers", lang="nl")
    form = {"name": "A", "email": ON_FILE, "consent": ["offers", "newsletter"]}
    form |= {"version-offers": agreed.version}
    form["version-newsletter"] = consent_text(purpose="newsletter", lang="nl").version
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/privacy/subscribe?lang=nl", form)
    optin = re.search(r"/privacy/subscribe/confirm/\S+", inbox.body())
    assert optin
    ask(ON_FILE, lang="en")
    browser = _opened(inbox)
    page = browser.get(f"{PAGE}?lang=en").content.decode()
    assert page.count("Given, not confirmed") == 2  # pending consent is said not to count
    Client().post(optin.group(0))
    page = browser.get(f"{PAGE}?lang=en").content.decode()
    offers = page.split('id="purpose-offers"')[1].split("</section>")[0]
    assert "Given and confirmed" in offers and "The words you agreed to" in offers
    assert agreed.version in offers and "Ja, ik wil" in offers  # the Dutch words they saw
    assert _allowed(subject.id, "offers")


def test_a_soft_opt_in_is_told_as_such_and_can_be_withdrawn(inbox: Inbox, ask: Ask) -> None:
    subject = customer()
    soft_optin_record(
        actor=system("offers"),
        subject_id=subject.id,
        purpose="offers",
        similar_products=True,
        opt_out_offered=True,
    )
    ask(ON_FILE)
    browser = _opened(inbox)
    page = browser.get(f"{PAGE}?lang=en").content.decode()
    offers = page.split('id="purpose-offers"')[1].split("</section>")[0]
    assert "Sent to you as a customer" in offers and "Withdraw my consent" in offers
    browser.post(f"{PAGE}?lang=en", {"action": "withdraw", "purpose": "offers"})
    assert not _allowed(subject.id, "offers")


def test_rows_of_links_long_over_are_deleted(inbox: Inbox, ask: Ask) -> None:
    customer()
    ask(ON_FILE)
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        ask(NOT_ON_FILE)
    assert not ChoicesLink.objects.exists()


def test_a_restricted_person_sees_why_and_can_still_withdraw(inbox: Inbox, ask: Ask) -> None:
    subject = customer()
    soft_optin_record(
        actor=system("offers"),
        subject_id=subject.id,
        purpose="offers",
        similar_products=True,
        opt_out_offered=True,
    )
    subject_restrict(actor=staff("privacy_officer"), subject_id=subject.id, reason="dispute")
    ask(ON_FILE)
    browser = _opened(inbox)
    page = browser.get(f"{PAGE}?lang=en").content.decode()
    assert page.count("Processing is restricted") == 2 and "Give my consent" not in page
    browser.post(f"{PAGE}?lang=en", {"action": "withdraw", "purpose": "offers"})
    last = PurposeEvent.objects.filter(subject_id=subject.id, purpose="offers").last()
    assert last is not None and last.kind == "consent_withdrawn"
