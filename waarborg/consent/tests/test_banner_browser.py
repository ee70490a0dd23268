"""The cookie banner in Debian's Chromium, in Dutch and English: refusing takes one click on the
first layer and is as prominent as accepting; before a choice, after a refusal and under Global
Privacy Control nothing but functional and exempt cookies is set and no test tag loads;
accepting runs them; every choice is a proof row; the statement reopens the banner; a choice is
asked again after six months or when the banner changes; a CMS site embeds it with one line."""

from __future__ import annotations

import time
from typing import Any

import pytest

from waarborg.consent.tests.browsing import GPC, Visitor, same_size, without_consent
from waarborg.console.tests.conftest import browser_only

pytestmark = browser_only
LANGS = ["nl", "en"]


@pytest.mark.parametrize("lang", LANGS)
def test_refusing_is_one_click_beside_an_equal_accept_and_nothing_that_needs_consent_runs(
    site, browser, lang
):
    from playwright.sync_api import expect

    v = Visitor(browser, site.base, lang)
    v.open("/privacy/cookies/demo")
    expect(v.banner).to_be_visible()
    accept, refuse = v.button("accept"), v.button("refuse")
    assert accept.get_attribute("class") == refuse.get_attribute("class")
    assert same_size(accept, refuse)
    assert accept.bounding_box()["y"] == refuse.bounding_box()["y"]  # the same row
    assert set(v.cookies()) <= without_consent()  # before a choice
    refuse.click()
    expect(v.banner).to_have_count(0)
    v.wait_for_choice([])
    assert set(v.cookies()) <= without_consent()
    assert v.tags == []
    assert v.statuses() == [v.words["not run"]] * 2
    v.open("/privacy/cookies/demo")  # the next page: no banner, still nothing
    expect(v.banner).to_have_count(0)
    assert v.tags == [] and set(v.cookies()) <= without_consent()
    [proof] = site.proof(v.visitor_id())
    assert (proof["method"], proof["accepted"], proof["lang"]) == ("refuse", [], lang)
    assert proof["refused"] == ["statistics", "marketing"]
    assert v.refused_by_csp() == []
    v.close()


@pytest.mark.parametrize("lang", LANGS)
def test_accepting_runs_every_test_tag_which_sets_its_cookie(site, browser, lang):
    from playwright.sync_api import expect

    v = Visitor(browser, site.base, lang)
    v.open("/privacy/cookies/demo")
    v.button("accept").click()
    expect(v.page.locator("main .badge-ok")).to_have_count(2)
    assert v.statuses() == [v.words["ran"]] * 2
    assert {"wb_demo_stats", "wb_demo_ads"} <= set(v.cookies())
    assert v.tags  # fetched only now (the two tags share one script file)
    assert v.choice() == ["statistics", "marketing"]
    [proof] = site.proof(v.visitor_id())
    assert (proof["method"], proof["gpc"]) == ("accept", False)
    assert proof["accepted"] == ["statistics", "marketing"]
    assert v.refused_by_csp() == []
    v.close()


@pytest.mark.parametrize(
    ("signal", "lang"), [("header", "nl"), ("navigator", "en")], ids=["Sec-GPC", "navigator"]
)
def test_global_privacy_control_refuses_without_asking(site, browser, signal, lang):
    from playwright.sync_api import expect

    options = {"extra_http_headers": {"Sec-GPC": "1"}} if signal == "header" else {}
    v = Visitor(browser, site.base, lang, **options)
    if signal == "navigator":
        v.context.add_init_script(GPC)
    v.open("/privacy/cookies/demo")
    v.wait_for_choice([])
    expect(v.banner).to_have_count(0)
    assert set(v.cookies()) <= without_consent()
    assert v.tags == [] and v.statuses() == [v.words["not run"]] * 2
    [proof] = site.proof(v.visitor_id())
    assert (proof["method"], proof["gpc"], proof["accepted"]) == ("gpc", True, [])
    v.close()


@pytest.mark.parametrize("lang", LANGS)
def test_the_statement_reopens_the_banner_and_a_choice_per_category_holds(site, browser, lang):
    from playwright.sync_api import expect

    v = Visitor(browser, site.base, lang)
    v.open("/privacy/cookies/demo")
    v.button("refuse").click()
    v.wait_for_choice([])
    v.open("/privacy")
    expect(v.banner).to_have_count(0)  # the statement holds no tag: it does not ask
    v.page.locator("[data-clause~=C17]").get_by_role("link", name=v.words["reopen"]).click()
    expect(v.banner).to_be_visible()
    expect(v.banner).to_be_focused()
    statistics = v.banner.get_by_label(v.words["statistics"], exact=True)
    expect(statistics).not_to_be_checked()  # it shows the choice made
    statistics.check()
    v.button("save").click()
    expect(v.banner).to_have_count(0)
    v.wait_for_choice(["statistics"])
    assert v.choice() == ["statistics"]
    v.open("/privacy/cookies/demo")
    assert v.statuses() == [v.words["ran"], v.words["not run"]]
    assert "wb_demo_stats" in v.cookies() and "wb_demo_ads" not in v.cookies()
    # Withdrawing is as easy: the footer's link on any page, then one click.
    v.page.locator("footer [data-wb-settings]").click()
    v.button("refuse").click()
    expect(v.banner).to_have_count(0)
    assert "wb_demo_stats" not in v.cookies()  # its cookie is removed
    methods = [p["method"] for p in site.proof(v.visitor_id())]
    assert methods == ["refuse", "save", "refuse"]
    v.close()


def test_it_asks_again_after_six_months_or_when_the_banner_changes(site, browser):
    from playwright.sync_api import expect

    v = Visitor(browser, site.base, "en")
    v.open("/privacy/cookies/demo")
    v.button("accept").click()
    v.wait_for_choice(["statistics", "marketing"])
    day = 86_400
    cases = [
        (lambda p: [*p[:3], int(time.time()) - 150 * day, p[4]], False),  # five months ago
        (lambda p: [*p[:3], int(time.time()) - 200 * day, p[4]], True),  # six and a half
        (lambda p: [p[0], "0123456789abcdef", *p[2:]], True),  # another catalogue or text
    ]
    for change, asked in cases:
        original = v.cookies()["wb_consent"]
        v.set_consent_cookie(change)
        v.open("/privacy/cookies/demo")
        expect(v.banner).to_have_count(1 if asked else 0)
        v.set_consent_cookie(lambda p, original=original: original.split("."))
    v.close()


@pytest.mark.parametrize("lang", LANGS)
def test_a_cms_site_embeds_the_banner_with_one_line_and_its_choices_are_proved(site, browser, lang):
    from playwright.sync_api import expect

    v = Visitor(browser, site.embedding, lang)
    v.page.goto(f"{site.embedding}/{lang}.html")
    expect(v.banner).to_be_visible()
    v.button("refuse").click()
    v.wait_for_choice([])
    assert v.tags == [] and set(v.cookies()) <= without_consent()
    v.page.get_by_role("link", name="Cookie settings").click()
    v.button("accept").click()
    expect(v.page.locator("#status-wb_demo_stats")).to_have_text("ran")
    assert "wb_demo_stats" in v.cookies()
    proofs = site.proof(v.visitor_id())
    assert [(p["method"], p["site"]) for p in proofs] == [
        ("refuse", site.embedding),
        ("accept", site.embedding),
    ]
    v.close()


def test_a_choice_on_a_banner_that_changed_meanwhile_shows_the_new_one(site, browser):
    """The script's copy of the banner may be up to five minutes old (it is cached): the server
    refuses a choice made on an older version and the script asks again with the new one."""
    from playwright.sync_api import expect

    v = Visitor(browser, site.base, "en")
    served: list[str] = []

    def stale_first(route: Any) -> None:
        if served:
            served.append("fresh")
            route.continue_()
            return
        config = route.fetch().json()
        served.append("stale")
        route.fulfill(json={**config, "version": "0123456789abcdef"})

    v.page.route("**/privacy/cookies/banner.json*", stale_first)
    answers: list[int] = []
    v.page.on("response", lambda r: answers.append(r.status) if "/choice" in r.url else None)
    v.open("/privacy/cookies/demo")
    shown = v.banner.element_handle()
    v.button("refuse").click()
    shown.wait_for_element_state("hidden")  # replaced by the banner fetched again
    expect(v.banner).to_be_visible()
    assert (served, answers) == (["stale", "fresh"], [409])
    v.button("refuse").click()
    v.wait_for_choice([])
    assert answers == [409, 201]
    assert [p["method"] for p in site.proof(v.visitor_id())] == ["refuse"]
    v.close()
