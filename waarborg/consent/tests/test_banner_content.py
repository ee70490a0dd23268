"""The banner says what the policy's cookie catalogue says, in Dutch and English; its version
follows the catalogue; every page can reopen it; the statement's cookie table agrees with it."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from waarborg.conftest import cms_policy_data
from waarborg.consent.banner import CONSENT_COOKIE, banner_current
from waarborg.consent.tests.support import CATEGORIES, CONFIG_URL
from waarborg.policy.loader import PolicyInvalid, policy_parse
from waarborg.policy.schema import Policy
from waarborg.policy.selectors import policy_current
from waarborg.policy.tests.pages import clause, parse

pytestmark = pytest.mark.django_db

BUTTONS = {"nl": ("Accepteren", "Weigeren"), "en": ("Accept", "Refuse")}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_banner_offers_the_catalogues_categories_with_their_cookies(client, lang):
    answer = client.get(f"{CONFIG_URL}?lang={lang}")
    assert answer.status_code == 200
    config = answer.json()
    assert config["lang"] == lang
    assert (config["texts"]["accept"], config["texts"]["refuse"]) == BUTTONS[lang]
    assert [c["key"] for c in config["categories"]] == CATEGORIES
    assert [[k["name"] for k in c["cookies"]] for c in config["categories"]] == [
        ["wb_demo_stats"],
        ["wb_demo_ads"],
    ]
    always = [k["name"] for k in config["always"]]
    assert always == ["sessionid", "csrftoken", "django_language", CONSENT_COOKIE, "wb_stats"]
    assert config["version"] == banner_current()[0]
    assert config["choice_url"] == "http://testserver/privacy/cookies/choice"
    assert config["policy_url"] == f"http://testserver/privacy?lang={lang}#cookies"
    assert config["renew_months"] == 6


def test_any_site_may_read_the_banner_and_it_says_whether_the_browser_sent_gpc(client):
    plain = client.get(CONFIG_URL)
    assert plain["Access-Control-Allow-Origin"] == "*"
    assert "Sec-GPC" in plain["Vary"]
    assert plain.json()["gpc"] is False
    assert client.get(CONFIG_URL, headers={"Sec-GPC": "1"}).json()["gpc"] is True


def test_the_version_changes_with_the_catalogue_and_not_with_the_rest_of_the_policy(
    client, edited_policy
):
    first = banner_current()[0]

    def add_measure(d: dict[str, Any]) -> None:
        d["security_measures"].append({"nl": "Tweede factor.", "en": "Second factor."})

    edited_policy(add_measure)
    assert banner_current()[0] == first

    def rename_category(d: dict[str, Any]) -> None:
        d["cookie_categories"]["marketing"]["name"]["en"] = "Advertising"

    edited_policy(rename_category)
    assert banner_current()[0] != first
    assert client.get(CONFIG_URL + "?lang=en").json()["categories"][1]["name"] == "Advertising"


def test_the_banners_own_cookie_is_in_the_catalogue_as_functional():
    kinds = {c.name: c.kind for c in policy_current().policy.cookies}
    assert kinds[CONSENT_COOKIE] == "functional"


@pytest.mark.parametrize("url", ["/privacy", "/privacy/versions", "/console/login", "/nowhere"])
def test_every_page_loads_the_banner_and_links_to_the_cookie_settings(client, url):
    page = parse(client.get(url).content.decode())
    scripts = [s.attrs.get("src", "") for s in page.find_all("script")]
    assert "/static/consent/banner.js" in scripts
    links = page.find("footer").find_all("a", data_wb_settings="")
    assert [a.text() for a in links] == ["Cookie-instellingen"]
    assert links[0].attrs["href"].endswith("#cookies")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_statements_cookie_table_names_each_cookies_category_and_can_reopen_the_banner(
    client, lang
):
    section = clause(parse(client.get(f"/privacy?lang={lang}").content.decode()), "C17")
    consent = {"nl": "alleen met uw toestemming", "en": "only with your consent"}[lang]
    name = {"nl": "Statistiek", "en": "Statistics"}[lang]
    stats = next(r for r in section.rows() if r[0] == "wb_demo_stats")
    assert stats[4] == f"{consent} ({name})"
    assert any(name in item for item in section.items())
    assert len(section.find_all("a", data_wb_settings="")) == 1


def test_the_demo_page_holds_one_waiting_tag_per_category_and_no_inline_script(client):
    html = client.get("/privacy/cookies/demo?lang=en").content.decode()
    waiting = re.findall(r'<script type="text/plain" data-wb-category="(\w+)"', html)
    assert waiting == CATEGORIES
    assert parse(html).find("main").find("ul").items() == [
        "Statistics: test cookie wb_demo_stats test tag not run",
        "Marketing: test cookie wb_demo_ads test tag not run",
    ]


def _cms_with(change: Any) -> str:
    data = cms_policy_data()
    change(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.pop("consent_category"), "names its consent_category"),
        (lambda c: c.update(consent_category="video"), "unknown cookie category 'video'"),
        (lambda c: c.update(kind="functional"), "only a cookie that needs consent has one"),
    ],
)
def test_the_policy_check_refuses_a_cookie_whose_category_does_not_fit(change, message):
    def edit(d: dict[str, Any]) -> None:
        change(next(c for c in d["cookies"] if c["name"] == "wb_demo_ads"))

    with pytest.raises(PolicyInvalid) as refused:
        policy_parse(_cms_with(edit), name="cms.yaml")
    assert message in refused.value.report()


def test_a_policy_without_cookie_categories_keeps_its_version():
    """The keys were added to the format later: a policy that does not use them has the same
    document, so the same version, as before (nobody is asked to accept it again)."""

    def without(d: dict[str, Any]) -> None:
        d.pop("cookie_categories")
        d["cookies"] = [c for c in d["cookies"] if c["kind"] != "consent_required"]

    loaded = policy_parse(_cms_with(without), name="cms.yaml")
    assert "cookie_categories" not in loaded.document
    assert all("consent_category" not in c for c in loaded.document["cookies"])
    again = Policy.model_validate(loaded.document).model_dump(mode="json", by_alias=True)
    assert again == loaded.document
