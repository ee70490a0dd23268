"""The sign-up form, the confirmation page and the unsubscribe page in a real Chromium, Dutch and
English: nothing ticked beforehand, each purpose with its own text, the double opt-in mail's link
confirms on a button, one click unsubscribes; axe-core finds no serious or critical violation.
Screenshots go to capture-LANG-PAGE.png in ``WAARBORG_SCREENSHOTS`` (the temporary directory
when unset, so /tmp/capture-*.png) for a person to look at."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from waarborg.consent.tests.browsing import Visitor
from waarborg.consent.tests.test_banner_accessibility import SERIOUS
from waarborg.console.tests import conftest as console
from waarborg.console.tests.conftest import browser_only

pytestmark = browser_only
WORDS = {
    "nl": {"consent": "Ja, ik wil", "sign up": "Aanmelden", "sent": "We hebben u een e-mail",
           "confirm": "Bevestigen", "confirmed": "bevestigd", "unsubscribe": "Afmelden voor",
           "done": "U bent afgemeld"},
    "en": {"consent": "Yes, I want", "sign up": "Sign up", "sent": "We sent you an e-mail",
           "confirm": "Confirm", "confirmed": "confirmed", "unsubscribe": "Unsubscribe from",
           "done": "You are unsubscribed"},
}  # fmt: skip
SHOTS = Path(os.environ.get("WAARBORG_SCREENSHOTS") or tempfile.gettempdir())
LINK = """
from waarborg.consent.unsubscribe import unsubscribe_link
from waarborg.vault.selectors import subject_ids_by_email
print(unsubscribe_link(subject_id=subject_ids_by_email({email!r})[0], purpose="newsletter"))
"""


def _serious(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

    found = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']}" for v in found if v["impact"] in SERIOUS]


def _shoot(v: Visitor, name: str, problems: list[str]) -> None:
    v.page.screenshot(path=str(SHOTS / f"capture-{v.lang}-{name}.png"), full_page=True)
    problems += [f"{name} ({v.lang}): {p}" for p in _serious(v.page)]


def _mail_link(site: Any, email: str) -> str:
    """The confirmation link of the newest mail to ``email`` (the development server writes
    every mail to var/mail)."""
    folder = Path(site.env["WAARBORG_VAR_DIR"]) / "mail"
    mails = sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime)
    text = "".join(p.read_text() for p in mails)
    (last,) = [m for m in text.split("-" * 79) if f"To: {email}" in m][-1:]
    path = re.search(r"/privacy/subscribe/confirm/\S+", last)
    assert path, last
    return path.group(0)


def _unsubscribe_path(site: Any, email: str) -> str:
    code = LINK.format(email=email)
    out = subprocess.run(
        [str(console.BIN), "shell", "-c", code],
        env=site.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return "/" + out.split("/", 3)[3]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_sign_up_confirm_and_unsubscribe_in_a_browser(site: Any, browser: Any, lang: str) -> None:
    from playwright.sync_api import expect

    words, problems = WORDS[lang], list[str]()
    email = f"browser-{lang}@example.nl"
    v = Visitor(browser, site.base, lang)
    v.open("/privacy/subscribe")
    boxes = v.page.get_by_role("checkbox")
    expect(boxes).to_have_count(2)
    for box in boxes.all():
        expect(box).not_to_be_checked()  # no pre-ticked box
    expect(v.page.get_by_text(words["consent"])).to_have_count(2)  # each purpose its own text
    _shoot(v, "form", problems)
    v.page.get_by_role("textbox").first.fill("Sanne Bakker")
    v.page.locator("input[type=email]").fill(email)
    boxes.first.check()
    v.page.get_by_role("button", name=words["sign up"]).click()
    expect(v.page.get_by_role("status")).to_contain_text(words["sent"])
    _shoot(v, "sent", problems)

    v.page.goto(site.base + _mail_link(site, email))
    expect(v.page.get_by_role("button", name=words["confirm"])).to_be_visible()
    _shoot(v, "confirm", problems)
    v.page.get_by_role("button", name=words["confirm"]).click()
    expect(v.page.get_by_role("status")).to_contain_text(words["confirmed"])
    _shoot(v, "confirmed", problems)

    v.page.goto(site.base + _unsubscribe_path(site, email) + f"?lang={lang}")
    _shoot(v, "unsubscribe", problems)
    v.page.get_by_role("button", name=words["unsubscribe"]).first.click()
    expect(v.page.get_by_role("status")).to_contain_text(words["done"])
    _shoot(v, "unsubscribed", problems)

    v.open("/privacy/subscribe/embed")
    _shoot(v, "embed", problems)
    assert v.refused_by_csp() == []
    v.close()
    assert problems == [], "\n".join(problems)
