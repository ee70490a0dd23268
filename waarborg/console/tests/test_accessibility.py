"""Every console page a person can reach, for one user per role, in Dutch and in English, in a
real Chromium: axe-core finds no serious or critical violation, and on a phone (390 px wide)
nothing sticks out of the page.

Dutch is checked in the light colour scheme and English in the dark one, so both palettes pass
axe's contrast rules without walking every page twice. With ``WAARBORG_SCREENSHOTS=DIR`` every
page is also saved as a picture, 1280 px and 390 px wide, to be looked at by a person.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings

from waarborg.console.tests.conftest import Server, browser_only, second_step

pytestmark = browser_only

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SERIOUS = {"serious", "critical"}
SCHEME = {"nl": ("nl-NL", "light"), "en": ("en-GB", "dark")}
CUSTOMER = {
    "name": "Sanne Steekproef",
    "email": "sanne.steekproef@example.nl",
    "phone": "0612345678",
    "street": "Oudegracht",
    "house_number": "101",
    "postcode": "3511 AL",
    "city": "Utrecht",
    "gender": "female",
    "iban": "NL91ABNA0417164300",
}
REGISTER_TEMPLATE = (
    Path(settings.BASE_DIR) / "waarborg" / "policy" / "templates" / "policy" / "_register.html"
)


def _purpose_keys() -> list[str]:
    policy = yaml.safe_load(Path(settings.WAARBORG_POLICY).read_text(encoding="utf-8"))
    return list(policy["purposes"])


@pytest.fixture(scope="module")
def customer(server: Server) -> str:
    """A paid customer who confirmed the newsletter: every role with personal purposes may read
    them for one of its purposes, so every role's search finds them."""
    created = server.api("/api/v1/subjects", {"product": "aplanner-pro", "fields": CUSTOMER})
    base = f"/api/v1/subjects/{created['id']}/consents"
    consent = {"purpose": "newsletter", "granted": True, "text_version": "t1", "channel": "web"}
    code = server.api(base, consent)["confirmation_code"]
    server.api(f"{base}/confirm", {"purpose": "newsletter", "code": code})
    return CUSTOMER["email"]


class Walk:
    """Checks each page it is shown and keeps every problem, named by page, to report at once."""

    def __init__(self, page: Any, lang: str) -> None:
        from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

        self.page, self.lang, self.axe = page, lang, Axe()
        self.problems: list[str] = []
        shots = os.environ.get("WAARBORG_SCREENSHOTS")
        self.shots = Path(shots) if shots else None
        if self.shots:
            self.shots.mkdir(parents=True, exist_ok=True)

    def check(self, name: str) -> None:
        where = f"{name} ({self.lang}, {self.page.url})"
        for v in self.axe.run(self.page).response["violations"]:
            if v["impact"] in SERIOUS:
                targets = "; ".join(", ".join(n["target"]) for n in v["nodes"][:3])
                self.problems.append(
                    f"{where}: {v['id']} ({v['impact']}): {v['help']} at {targets}"
                )
        self._shoot(name, "desktop")
        self.page.set_viewport_size(PHONE)
        overflow = self.page.evaluate("document.scrollingElement.scrollWidth - innerWidth")
        if overflow > 0:
            self.problems.append(f"{where}: {overflow}px wider than a 390 px phone screen")
        self._shoot(name, "phone")
        self.page.set_viewport_size(DESKTOP)

    def _shoot(self, name: str, width: str) -> None:
        if self.shots:
            path = self.shots / f"{self.lang}-{name}-{width}.png"
            self.page.screenshot(path=str(path), full_page=True)

    def login(self, server: Server, role: str) -> None:
        self.page.context.clear_cookies()
        self.page.goto(server.base + "/console/login")
        self.page.fill("#id_username", role)
        self.page.fill("#id_password", server.logins[role])
        self.page.click("main form button[type=submit]")
        second_step(self.page, server, role, lambda name: self.check(f"{role}-{name}"))

    def search(self, query: str) -> None:
        self.page.fill("#q", query)
        self.page.click("main form[role=search] button[type=submit]")


def _walk_role(walk: Walk, server: Server, role: str, email: str) -> None:
    page = walk.page
    walk.login(server, role)
    if page.locator("select, #q").count() == 0:  # a role that may see no one's data
        walk.check(f"{role}-forbidden")
        return
    walk.check(f"{role}-home")
    walk.search(email)
    walk.check(f"{role}-search-found")
    subject_url = page.locator("ul.results a").first.get_attribute("href")
    walk.search("nobody-at-all@example.org")
    walk.check(f"{role}-search-none")
    page.goto(server.base + subject_url)
    offered = [
        v for v in page.locator("#purpose option").evaluate_all("os => os.map(o => o.value)") if v
    ]
    page.goto(f"{server.base}{subject_url}?purpose={offered[0]}")
    walk.check(f"{role}-subject-{offered[0]}")
    other = next(p for p in _purpose_keys() if p not in offered)
    page.goto(f"{server.base}{subject_url}?purpose={other}")
    refusal = page.locator("[data-reason]")
    code = refusal.get_attribute("data-reason")
    if code and code in refusal.inner_text():
        walk.problems.append(f"{role}-subject-{other} ({walk.lang}): shows the code {code!r}")
    walk.check(f"{role}-subject-{other}")
    register = page.locator("nav a[href$='/console/register']")
    if register.count():
        register.click()
        walk.check(f"{role}-register")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_console_page_passes_axe_and_fits_a_phone(server, browser, customer, lang):
    locale, scheme = SCHEME[lang]
    context = browser.new_context(locale=locale, color_scheme=scheme, viewport=DESKTOP)
    walk = Walk(context.new_page(), lang)
    walk.page.goto(server.base + "/console/login")
    walk.check("login")
    for role in server.logins:
        _walk_role(walk, server, role, customer)
    walk.page.goto(f"{server.base}/privacy?lang={lang}")
    walk.check("public-statement")
    context.close()
    assert not walk.problems, "\n".join(walk.problems)


@pytest.mark.skipif(
    not REGISTER_TEMPLATE.exists(), reason="policy/_register.html is not in this branch yet"
)
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_register_in_the_console_passes_axe_and_fits_a_phone(server, browser, lang):
    locale, scheme = SCHEME[lang]
    context = browser.new_context(locale=locale, color_scheme=scheme, viewport=DESKTOP)
    walk = Walk(context.new_page(), lang)
    walk.login(server, "privacy_officer")
    walk.page.goto(server.base + "/console/register")
    walk.check("privacy_officer-register")
    context.close()
    assert not walk.problems, "\n".join(walk.problems)
