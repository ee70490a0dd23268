"""The privacy center and the officer's request pages in a real Chromium, against a real server
started like ``make serve`` (the console's browser-test server, with the demo requests): a
requester files and confirms in Dutch and in English with the link from the mail the server
wrote to ``var/mail/``; axe-core finds no serious or critical violation on any page, nothing is
wider than a phone, and the Content-Security-Policy refuses nothing.

Dutch runs in the light colour scheme, English in the dark one. With
``WAARBORG_SCREENSHOTS=DIR`` every page is saved as ``DIR/center-<lang>-<page>-<width>.png``.
"""

from __future__ import annotations

import email
import re
from email import policy as email_policy
from pathlib import Path
from typing import Any

import pytest

from waarborg.console.tests import conftest as console
from waarborg.console.tests.conftest import Server, browser_only
from waarborg.console.tests.test_accessibility import DESKTOP, SCHEME, Walk

server = console.server
browser = console.browser

pytestmark = browser_only
LISTEN = """
window.__refused = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__refused.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""
WORDS = {
    "nl": {
        "center": "privacycentrum",
        "access": "Inzage",
        "erasure": "Wissing",
        "email": "Uw e-mailadres",
        "explanation": "Toelichting",
        "send": "Verzoek versturen",
        "received": "Verzoek ontvangen",
        "confirm": "Mijn verzoek bevestigen",
        "confirmed": "uw verzoek is bevestigd",
        "progress": "In behandeling",
        "no_right": "Kies een of meer van de genoemde rechten.",
    },
    "en": {
        "center": "privacy center",
        "access": "Access",
        "erasure": "Erasure",
        "email": "Your e-mail address",
        "explanation": "Explanation",
        "send": "Send request",
        "received": "Request received",
        "confirm": "Confirm my request",
        "confirmed": "your request is confirmed",
        "progress": "In progress",
        "no_right": "Choose one or more of the rights listed.",
    },
}


class CenterWalk(Walk):
    """The console's walk (axe, phone width, pictures), naming pictures ``center-...`` and
    collecting what the Content-Security-Policy refused."""

    usernames: frozenset[str] = frozenset()

    def _shoot(self, name: str, width: str) -> None:
        if self.shots:
            path = self.shots / f"center-{self.lang}-{name}-{width}.png"
            self.page.screenshot(path=str(path), full_page=True)

    def check(self, name: str) -> None:
        for refused in self.page.evaluate("window.__refused || []"):
            self.problems.append(f"{name} ({self.lang}): the CSP refused {refused}")
        for code in re.findall(r"\b[a-z]+_[a-z_]+\b", self.page.inner_text("main")):
            if code in self.usernames:  # the demo's staff logins are named after their roles
                continue
            self.problems.append(f"{name} ({self.lang}): shows the code {code!r}")
        super().check(name)


@pytest.fixture(scope="module")
def seeded(server: Server) -> Server:
    server.run("demo_requests")
    return server


def _walk(browser: Any, lang: str) -> CenterWalk:
    locale, scheme = SCHEME[lang]
    context = browser.new_context(locale=locale, color_scheme=scheme, viewport=DESKTOP)
    context.add_init_script(LISTEN)
    return CenterWalk(context.new_page(), lang)


def _mail_to(server: Server, address: str) -> str:
    """The body of the newest mail the server wrote to ``address`` (Django's file backend)."""
    folder = Path(server.env["WAARBORG_VAR_DIR"]) / "mail"
    for path in sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True):
        for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            message = email.message_from_bytes(raw.strip(), policy=email_policy.default)
            if address in str(message.get("To", "")):
                body = message.get_body(preferencelist=("plain",))
                assert body is not None, raw[:300]
                return str(body.get_content())
    raise AssertionError(f"no mail to {address} in {folder}")


def _path(body: str, kind: str) -> str:
    found = re.search(rf"https?://[^/\s]+(/privacy/center/{kind}/\S+)", body)
    assert found, body
    return found.group(1)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_requester_files_and_confirms_in_the_browser(seeded: Server, browser, lang):
    from playwright.sync_api import expect

    words = WORDS[lang]
    address = f"browser.{lang}@example.nl"
    seeded.api(
        "/api/v1/subjects",
        {"product": "aplanner-free", "fields": {"name": "Bram Browser", "email": address}},
    )
    walk = _walk(browser, lang)
    page = walk.page
    page.goto(f"{seeded.base}/privacy?lang={lang}")
    page.get_by_role("link", name=words["center"]).click()
    expect(page.locator("h1")).to_be_visible()
    walk.check("form")
    for box in page.get_by_role("checkbox").all():
        expect(box).not_to_be_checked()

    page.get_by_label(words["email"]).fill(address)
    page.get_by_role("button", name=words["send"]).click()
    expect(page.get_by_role("alert")).to_contain_text(words["no_right"])
    walk.check("form-errors")

    page.get_by_role("checkbox", name=words["access"], exact=True).check()
    page.get_by_role("checkbox", name=words["erasure"], exact=True).check()
    page.get_by_label(words["explanation"]).fill("Alles graag. / Everything, please.")
    page.get_by_role("button", name=words["send"]).click()
    expect(page.locator("h1")).to_have_text(words["received"])
    reference = page.locator("strong.reference").inner_text()
    walk.check("filed")

    body = _mail_to(seeded, address)
    assert reference in body
    page.goto(seeded.base + _path(body, "confirm"))
    expect(page.get_by_role("button", name=words["confirm"])).to_be_visible()
    walk.check("confirm")
    page.get_by_role("button", name=words["confirm"]).click()
    expect(page.get_by_role("status")).to_contain_text(words["confirmed"])
    expect(page.locator("main")).to_contain_text(words["progress"])
    assert address not in page.content()
    walk.check("status")

    page.goto(seeded.base + _path(body, "confirm"))  # the link again: used
    walk.check("link-used")
    page.goto(f"{seeded.base}/privacy/center/status/{reference}/not-the-code?lang={lang}")
    walk.check("not-found")
    page.context.close()
    assert not walk.problems, "\n".join(walk.problems)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_request_pages_for_a_privacy_officer(seeded: Server, browser, lang):
    from playwright.sync_api import expect

    walk = _walk(browser, lang)
    walk.usernames = frozenset(seeded.logins)
    page = walk.page
    walk.login(seeded, "privacy_officer")
    page.goto(f"{seeded.base}/console/requests")
    expect(page.locator("table.queue tbody tr").first).to_be_visible()
    walk.check("console-queue")
    badges = page.locator("table.queue .badge").all_inner_texts()
    assert any("late" in b or "te laat" in b for b in badges), badges

    unclear = page.locator(
        "table.queue tbody tr", has_text="not yet clear" if lang == "en" else "nog niet duidelijk"
    )
    unclear.get_by_role("link").click()
    walk.check("console-request-unclear")
    page.locator("#texts-h + form button").click()
    expect(page.locator("dl.texts")).to_contain_text("demo-requests.example.nl")
    walk.check("console-request-texts")

    page.goto(f"{seeded.base}/console/requests")
    page.locator("table.queue tbody tr").first.get_by_role("link").click()
    walk.check("console-request-late")
    page.context.close()
    assert not walk.problems, "\n".join(walk.problems)
