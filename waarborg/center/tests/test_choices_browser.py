"""Your choices in a real Chromium against a real server (the console's browser-test server),
in Dutch (light scheme) and English (dark scheme), by keyboard only: ask for the link on the
center's page, open it from the mail the server wrote, give and withdraw a consent, change
this browser's cookie choice through the banner, close. axe-core finds no serious or critical
violation on any page, nothing is wider than a phone, the Content-Security-Policy refuses
nothing. With ``WAARBORG_SCREENSHOTS=DIR`` every page is saved as
``DIR/center-<lang>-choices-<page>-<width>.png``."""

from __future__ import annotations

import re
from typing import Any

import pytest

from waarborg.center.tests.test_browser import _mail_to, _walk
from waarborg.console.tests import conftest as console
from waarborg.console.tests.conftest import Server, browser_only

server = console.server
browser = console.browser

pytestmark = browser_only
WORDS = {
    "nl": {
        "go": "Naar ‘Uw keuzes’",
        "sent": "Controleer uw mail",
        "open": "Mijn keuzes openen",
        "never": "Nooit gevraagd",
        "give": "Mijn toestemming voor ‘Nieuwsbrieven",
        "given": "is vastgelegd en bevestigd",
        "confirmed": "Gegeven en bevestigd",
        "withdraw": "Mijn toestemming voor ‘Nieuwsbrieven",
        "withdrawn": "is ingetrokken",
        "cookies": "Cookie-instellingen van deze browser wijzigen",
        "refuse": "Weigeren",
        "saved": "De cookiekeuze van deze browser is opgeslagen.",
        "refused": "Geweigerd",
        "close": "Mijn keuzes sluiten",
        "closed": "Uw keuzes zijn gesloten",
        "broken": "Deze link werkt niet",
    },
    "en": {
        "go": "Go to “Your choices”",
        "sent": "Check your mail",
        "open": "Open my choices",
        "never": "Never asked",
        "give": "Give my consent for “Newsletters",
        "given": "is recorded and confirmed",
        "confirmed": "Given and confirmed",
        "withdraw": "Withdraw my consent for “Newsletters",
        "withdrawn": "is withdrawn",
        "cookies": "Change the cookie settings of this browser",
        "refuse": "Refuse",
        "saved": "The cookie choice of this browser is saved.",
        "refused": "Refused",
        "close": "Close my choices",
        "closed": "Your choices are closed",
        "broken": "This link does not work",
    },
}


def _tab_to(page: Any, target: Any, *, limit: int = 40) -> None:
    """Press Tab until ``target`` has the focus (keyboard only, as a person would)."""
    from playwright.sync_api import expect

    for _ in range(limit):
        if target.evaluate("e => e === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(target).to_be_focused()


def _path(body: str) -> str:
    found = re.search(r"https?://[^/\s]+(/privacy/center/choices/open/\S+)", body)
    assert found, body
    return found.group(1)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_person_sees_and_changes_their_choices_by_keyboard(server: Server, browser, lang):
    from playwright.sync_api import expect

    words = WORDS[lang]
    address = f"choices.{lang}@example.nl"
    server.api(
        "/api/v1/subjects",
        {"product": "aplanner-free", "fields": {"name": "Kim Keuze", "email": address}},
    )
    walk = _walk(browser, lang)
    page = walk.page
    page.goto(f"{server.base}/privacy/center?lang={lang}")
    _tab_to(page, page.get_by_role("link", name=words["go"]))
    page.keyboard.press("Enter")
    _tab_to(page, page.locator("#choices-email"), limit=5)  # the next stop after the jump
    page.keyboard.type(address)
    walk.check("choices-entry")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(words["sent"])
    walk.check("choices-sent")

    link = _path(_mail_to(server, address))
    page.goto(server.base + link)
    walk.check("choices-open")
    _tab_to(page, page.get_by_role("button", name=words["open"]))
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_contain_text(words["never"])
    assert address not in page.content()
    walk.check("choices-page")

    _tab_to(page, page.get_by_role("button", name=re.compile(re.escape(words["give"]))))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(words["given"])
    expect(page.locator("#purpose-newsletter")).to_contain_text(words["confirmed"])
    walk.check("choices-given")
    withdraw = page.get_by_role("button", name=re.compile(re.escape(words["withdraw"])))
    page.locator("main").focus()
    _tab_to(page, withdraw)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(words["withdrawn"])
    walk.check("choices-withdrawn")

    page.locator("main").focus()
    _tab_to(page, page.get_by_role("button", name=words["cookies"]), limit=60)
    page.keyboard.press("Enter")
    banner = page.locator(".wb-banner")
    expect(banner).to_be_focused()
    walk.check("choices-banner")
    _tab_to(page, banner.get_by_role("button", name=words["refuse"], exact=True))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(words["saved"])
    expect(page.locator("#cookie-choice")).to_contain_text(words["refused"])
    expect(page.locator("#cookies-h")).to_be_focused()
    walk.check("choices-cookies")

    _tab_to(page, page.get_by_role("button", name=words["close"]), limit=60)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(words["closed"])
    walk.check("choices-closed")
    page.goto(server.base + link)  # the link again: used
    expect(page.locator("h1")).to_have_text(words["broken"])
    walk.check("choices-link-used")
    page.context.close()
    assert not walk.problems, "\n".join(walk.problems)
