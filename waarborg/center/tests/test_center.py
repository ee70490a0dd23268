"""The privacy center as a person uses it: the form, the answer, the mailed link, the clock."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client

from waarborg.core.actors import Actor
from waarborg.rights.limits import FILINGS_PER_ADDRESS
from waarborg.rights.models import Request
from waarborg.rights.services import request_extend
from waarborg.rights.tests.support import NOT_ON_FILE, ON_FILE, customer

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
OFFICER = Actor.job("test")


@pytest.fixture
def file(client: Client, django_capture_on_commit_callbacks):
    """``file(email, kinds, lang)``: send the form as a browser would; the mail goes out."""

    def send(email: str, kinds: list[str], lang: str = "en", explanation: str = "") -> object:
        data = {"kinds": kinds, "email": email, "explanation": explanation}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/privacy/center?lang={lang}", data)

    return send


def _links(message) -> dict[str, str]:
    """The paths of the center's links in a mail: confirm and status."""
    found = re.findall(r"https?://[^/\s]+(/privacy/center/(confirm|status)/\S+)", message.body)
    return {kind: path for path, kind in found}


def test_the_form_offers_every_right_unticked_each_explained_in_both_languages(client):
    for lang, words in (("en", "Data portability"), ("nl", "Dataportabiliteit")):
        page = client.get(f"/privacy/center?lang={lang}")
        html = page.content.decode()
        assert page.status_code == 200
        assert f'<html lang="{lang}">' in html
        boxes = re.findall(r'<input type="checkbox" name="kinds"[^>]*>', html)
        assert len(boxes) == 7
        assert not any("checked" in b for b in boxes)
        assert words in html
        assert html.count('class="hint" id="kind-') == 7


def test_the_answer_is_the_same_whether_or_not_the_address_is_on_file(client, file):
    customer()
    pages = []
    for email in (ON_FILE, NOT_ON_FILE):
        sent = file(email, ["access"])
        assert sent.status_code == 303
        answer = client.get(sent["Location"])
        reference = sent["Location"].split("/")[-1].split("?")[0]
        pages.append(answer.content.decode().replace(reference, "R-XXXXXX"))
    assert pages[0] == pages[1]
    assert "Check your mail" in pages[0]


def test_a_requester_files_confirms_and_sees_the_clock(client, file):
    customer()
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=AMS), tick=False):
        sent = file(ON_FILE, ["access", "erasure"], lang="en", explanation="All of it, please.")
        [message] = mail.outbox
        links = _links(message)
        page = client.get(links["confirm"])
        assert page.status_code == 200
        assert "Confirm my request" in page.content.decode()
        request = Request.objects.get()
        assert request.status == Request.Status.AWAITING_CONFIRMATION  # opening is not confirming
        assert request.reference in sent["Location"]
        confirmed = client.post(links["confirm"])
        assert confirmed.status_code == 303
        status = client.get(confirmed["Location"]).content.decode()
    assert "your request is confirmed" in status
    assert "In progress" in status
    assert "2 April 2026" in status  # one month after 2 March
    assert "31 days" in status
    assert "Access" in status and "Erasure" in status
    assert ON_FILE not in status and "All of it" not in status
    assert confirmed["Location"].split("?")[0] == links["status"]


def test_the_mail_and_the_pages_speak_dutch_for_a_dutch_request(client, file):
    customer()
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=AMS), tick=False):
        sent = file(ON_FILE, ["objection"], lang="nl")
        assert "lang=nl" in sent["Location"]
        assert "Controleer uw mail" in client.get(sent["Location"]).content.decode()
        [message] = mail.outbox
        assert "Op deze pagina volgt u uw verzoek" in message.body
        confirmed = client.post(_links(message)["confirm"] + "?lang=nl")
        status = client.get(confirmed["Location"]).content.decode()
    assert "In behandeling" in status
    assert "2 april 2026" in status
    assert "Bezwaar" in status


def test_a_used_or_wrong_link_is_told_in_words_and_confirms_nothing(client, file):
    customer()
    file(ON_FILE, ["access"])
    confirm = _links(mail.outbox[0])["confirm"]
    wrong = confirm[:-4] + "AAAA?lang=en"
    for answer in (client.get(wrong), client.post(wrong)):
        assert answer.status_code == 400
        assert "This confirmation link does not work" in answer.content.decode()
    assert Request.objects.get().status == Request.Status.AWAITING_CONFIRMATION
    client.post(confirm)
    again = client.post(confirm + "?lang=en")
    assert again.status_code == 400
    assert "used already" in again.content.decode()


def test_a_missing_right_or_address_is_named_per_field_and_nothing_is_filed(client, file):
    answer = file("not an address", [], lang="en", explanation="x")
    html = answer.content.decode()
    assert answer.status_code == 400
    assert "Choose one or more of the rights listed." in html
    assert "This is not a valid e-mail address." in html
    assert 'aria-invalid="true"' in html
    assert 'value="not an address"' in html  # what was typed stays
    dutch = file("", ["access"], lang="nl").content.decode()
    assert "Dit is geen geldig e-mailadres." in dutch
    assert Request.objects.count() == 0


def test_too_many_filings_for_one_address_are_refused_in_words(file):
    for _ in range(FILINGS_PER_ADDRESS):
        assert file(NOT_ON_FILE, ["access"]).status_code == 303
    refused = file(NOT_ON_FILE, ["access"])
    assert refused.status_code == 429
    assert "Too many requests were filed" in refused.content.decode()
    assert Request.objects.count() == FILINGS_PER_ADDRESS


def test_the_status_page_opens_only_with_the_mailed_code(client, file):
    file(NOT_ON_FILE, ["access"])
    reference = Request.objects.get().reference
    assert client.get(f"/privacy/center/status/{reference}/guess").status_code == 404
    assert client.get("/privacy/center/status/R-222222/guess").status_code == 404
    assert client.get(f"/privacy/center/filed/{reference.lower()}").status_code == 404


def test_the_status_shows_an_extension_and_a_missed_deadline(client, file):
    customer()
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=AMS), tick=False):
        file(ON_FILE, ["access"])
        links = _links(mail.outbox[0])
        client.post(links["confirm"])
        reference = Request.objects.get().reference
        request_extend(actor=OFFICER, reference=reference, reason="Many systems to search.")
    with time_machine.travel(datetime(2026, 6, 5, 10, 0, tzinfo=AMS), tick=False):
        html = client.get(links["status"] + "?lang=en").content.decode()
    assert "2 June 2026" in html  # three months after 2 March
    assert "We extended the deadline by two months" in html
    assert "The deadline passed 3 days ago." in html
    assert "Many systems" not in html


def test_the_form_needs_its_csrf_token():
    browser = Client(enforce_csrf_checks=True)
    answer = browser.post("/privacy/center", {"kinds": ["access"], "email": NOT_ON_FILE})
    assert answer.status_code == 403
    form = browser.get("/privacy/center?lang=en").content.decode()
    token = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[0]
    data = {"kinds": ["access"], "email": NOT_ON_FILE, "csrfmiddlewaretoken": token}
    assert browser.post("/privacy/center?lang=en", data).status_code == 303


def test_the_pages_carry_no_inline_script_or_style(client, file):
    customer()
    sent = file(ON_FILE, ["access"])
    links = _links(mail.outbox[0])
    pages = ["/privacy/center", sent["Location"], links["confirm"], links["status"]]
    for path in pages:
        html = client.get(path).content.decode()
        scripts = re.findall(r"<script[^>]*>", html)
        assert all(" src=" in tag for tag in scripts), path  # files only, never inline code
        assert "<style" not in html and " style=" not in html, path
    policy = client.get("/privacy/center").headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy


def test_the_statement_links_to_the_center_in_its_language(client):
    html = client.get("/privacy?lang=en").content.decode()
    assert 'href="/privacy/center?lang=en"' in html


def test_the_home_page_title_is_words_only(client):
    page = client.get("/privacy/center?lang=en").content.decode()
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title and "csrf" not in title
    assert title.startswith("Use your privacy rights")
    assert page.count('id="choices"') == 1
