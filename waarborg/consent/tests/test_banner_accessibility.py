"""The banner for everyone: keyboard only (Tab to the buttons, Enter, Space), axe-core finds no
serious or critical violation in either layer (Dutch in the light scheme, English in the dark
one), and on a phone nothing sticks out of the page.

With ``WAARBORG_SCREENSHOTS=DIR`` each layer is saved as ``DIR/banner-LANG-LAYER-WIDTH.png``,
1280 and 390 px wide, to be looked at by a person."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from waarborg.consent.tests.browsing import PHONE, Visitor
from waarborg.console.tests.conftest import browser_only

pytestmark = browser_only
LANGS = ["nl", "en"]
SCHEME = {"nl": "light", "en": "dark"}
SERIOUS = {"serious", "critical"}


def _tab_to(v: Visitor, target: Any, *, back: bool = False, limit: int = 15) -> None:
    """Press Tab (or Shift+Tab) until ``target`` has the focus."""
    from playwright.sync_api import expect

    for _ in range(limit):
        if target.evaluate("e => e === document.activeElement"):
            break
        v.page.keyboard.press("Shift+Tab" if back else "Tab")
    expect(target).to_be_focused()


@pytest.mark.parametrize("lang", LANGS)
def test_the_first_tabs_reach_the_banner_and_enter_refuses(site, browser, lang):
    from playwright.sync_api import expect

    v = Visitor(browser, site.base, lang)
    v.open("/privacy/cookies/demo")
    expect(v.banner).to_be_visible()
    _tab_to(v, v.button("refuse"), limit=4)  # the banner comes first in the page
    v.page.keyboard.press("Enter")
    expect(v.banner).to_have_count(0)
    v.wait_for_choice([])
    assert site.proof(v.visitor_id())[0]["method"] == "refuse"
    v.close()


@pytest.mark.parametrize("lang", LANGS)
def test_settings_by_keyboard_choose_one_category_and_reopen_from_the_footer(site, browser, lang):
    from playwright.sync_api import expect

    v = Visitor(browser, site.base, lang)
    v.open("/privacy/cookies/demo")
    _tab_to(v, v.button("settings"))
    v.page.keyboard.press("Enter")
    statistics = v.banner.get_by_label(v.words["statistics"], exact=True)
    expect(statistics).to_be_focused()  # the settings open where the button was
    v.page.keyboard.press("Space")
    _tab_to(v, v.button("save"))
    v.page.keyboard.press("Enter")
    v.wait_for_choice(["statistics"])
    # The footer's "Cookie settings" is the page's last link: Shift+Tab from the top, Enter.
    v.page.locator("main").focus()
    _tab_to(v, v.page.locator("footer [data-wb-settings]"), back=True, limit=30)
    v.page.keyboard.press("Enter")
    expect(v.banner).to_be_focused()
    expect(statistics).to_be_checked()
    _tab_to(v, v.button("refuse"))
    v.page.keyboard.press("Enter")
    v.wait_for_choice([])
    expect(v.page.locator("footer [data-wb-settings]")).to_be_focused()  # back where it was
    assert [p["method"] for p in site.proof(v.visitor_id())] == ["save", "refuse"]
    v.close()


class Check:
    """axe-core and the phone width on each layer; every problem kept, named by layer."""

    def __init__(self, v: Visitor) -> None:
        from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

        self.v, self.axe, self.problems = v, Axe(), list[str]()
        shots = os.environ.get("WAARBORG_SCREENSHOTS")
        self.shots = Path(shots) if shots else None

    def __call__(self, layer: str) -> None:
        page, where = self.v.page, f"{layer} ({self.v.lang})"
        for found in self.axe.run(page).response["violations"]:
            if found["impact"] in SERIOUS:
                targets = "; ".join(", ".join(n["target"]) for n in found["nodes"][:3])
                self.problems.append(f"{where}: {found['id']}: {found['help']} at {targets}")
        self._shoot(layer, "desktop")
        viewport = page.viewport_size
        page.set_viewport_size(PHONE)
        overflow = page.evaluate("document.scrollingElement.scrollWidth - innerWidth")
        if overflow > 0:
            self.problems.append(f"{where}: {overflow}px wider than a 390 px phone screen")
        self._shoot(layer, "phone")
        page.set_viewport_size(viewport)

    def _shoot(self, layer: str, width: str) -> None:
        if self.shots:
            self.shots.mkdir(parents=True, exist_ok=True)
            path = self.shots / f"banner-{self.v.lang}-{layer}-{width}.png"
            self.v.page.screenshot(path=str(path))


@pytest.mark.parametrize("lang", LANGS)
def test_axe_finds_no_serious_violation_in_either_layer_and_it_fits_a_phone(site, browser, lang):
    from playwright.sync_api import expect

    v = Visitor(browser, site.base, lang, color_scheme=SCHEME[lang])
    check = Check(v)
    v.open("/privacy/cookies/demo")
    expect(v.banner).to_be_visible()
    check("first")
    v.button("settings").click()
    for summary in v.banner.locator("summary").all():
        summary.click()  # every list of cookies open
    check("settings")
    v.button("accept").click()
    v.wait_for_choice(["statistics", "marketing"])
    check("demo-accepted")
    v.open("/privacy")
    v.page.locator("footer [data-wb-settings]").click()
    expect(v.banner).to_be_visible()
    check("statement-reopened")
    assert v.refused_by_csp() == []
    v.close()
    assert check.problems == [], "\n".join(check.problems)
