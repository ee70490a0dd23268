"""The campaign pages in a real Chromium, nl and en: a marketer writes, previews, sends and
follows the progress; axe-core finds no serious or critical violation and nothing sticks out
of a phone screen. With ``WAARBORG_SCREENSHOTS=DIR`` the pages are saved as pictures."""

from __future__ import annotations

from typing import Any

import pytest

from waarborg.console.tests.conftest import Server, browser_only
from waarborg.console.tests.test_accessibility import DESKTOP, SCHEME, Walk

pytestmark = browser_only
TEXTS = {
    "nl": ("Nieuwsbrief voorjaar", "Voorjaarsnieuws", "Beste lezer,\n\nHet voorjaar is er."),
    "en": ("Spring newsletter", "Spring news", "Dear reader,\n\nSpring is here."),
}


def _write(page: Any, lang: str) -> None:
    page.fill("#name", TEXTS[lang][0])
    page.fill("#subject_nl", TEXTS["nl"][1])
    page.fill("#text_nl", TEXTS["nl"][2])
    page.fill("#subject_en", TEXTS["en"][1])
    page.fill("#text_en", TEXTS["en"][2])


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_marketer_writes_previews_and_sends_a_campaign_in_the_browser(
    server: Server, browser: Any, lang: str
) -> None:
    locale, scheme = SCHEME[lang]
    context = browser.new_context(locale=locale, color_scheme=scheme, viewport=DESKTOP)
    walk = Walk(context.new_page(), lang)
    page = walk.page
    walk.login(server, "marketing")
    page.click("nav a[href$='/console/campaigns']")
    walk.check("campaigns-list-empty" if page.locator("table").count() == 0 else "campaigns-list")
    page.click("main a[href$='/console/campaigns/new']")
    page.click("main form button[type=submit]")  # empty: the browser asks for every field
    assert "/campaigns/new" in page.url
    _write(page, lang)
    walk.check("campaigns-write")
    page.click("main form button[type=submit]")
    assert page.locator("pre").inner_text().count("/privacy/unsubscribe/") == 2
    walk.check("campaigns-preview")
    page.click("main form.panel button[type=submit]")
    assert page.locator("#count-open").inner_text() != ""
    walk.check("campaigns-sending")
    server.run("campaign", "send")
    page.reload()
    assert page.locator("#count-open").inner_text() == "0"
    walk.check("campaigns-sent")
    page.click("nav a[href$='/console/campaigns']")
    walk.check("campaigns-list")
    context.close()
    assert not walk.problems, "\n".join(walk.problems)
