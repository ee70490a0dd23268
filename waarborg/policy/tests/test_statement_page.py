"""/privacy: language choice, and the versions of the statement (listed, viewable, compared)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from waarborg.policy.models import PolicyVersion
from waarborg.policy.selectors import policy_current
from waarborg.policy.tests.pages import LANGS, Node, apply_policy, parse, untranslated_in

pytestmark = pytest.mark.django_db

TITLE = {
    "nl": "Privacyverklaring van Aplanner / Capital Media Services BV",
    "en": "Privacy statement of Aplanner / Capital Media Services BV",
}
OLD_EMAIL = "mail@capitalmediaservices.nl"
NEW_EMAIL = "privacy@aplanner.example"


def language_of(response: Any) -> str:
    """The language a reader gets: the page's ``<html lang>``, checked against its heading."""
    assert response.status_code == 200
    page = parse(response.content.decode())
    lang = page.find("html").attrs["lang"]
    assert page.find("h1").text() == TITLE[lang]
    assert response["Content-Language"] == lang
    return lang


@pytest.mark.parametrize(
    ("accept", "query", "expected"),
    [
        (None, {}, "nl"),
        ("en-GB,en;q=0.9", {}, "en"),
        ("nl-NL,nl;q=0.9,en;q=0.5", {}, "nl"),
        ("de-DE,de;q=0.9", {}, "nl"),
        ("en-US", {"lang": "nl"}, "nl"),
        ("nl", {"lang": "en"}, "en"),
        ("en", {"lang": "fr"}, "en"),
    ],
)
def test_it_chooses_the_language_by_lang_parameter_over_accept_language(
    client, accept, query, expected
):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept} if accept else {}
    response = client.get("/privacy", query, **headers)
    assert language_of(response) == expected
    assert "Accept-Language" in response["Vary"]


def test_it_links_to_the_other_language(client):
    page = parse(client.get("/privacy", {"lang": "en"}).content.decode())
    nav = page.find("nav", **{"class": "lang"})
    links = {a.attrs["hreflang"]: a for a in nav.find_all("a")}
    assert links["nl"].attrs["href"] == "?lang=nl"
    assert "aria-current" in links["en"].attrs and "aria-current" not in links["nl"].attrs


def test_it_adds_no_version_for_an_unchanged_policy(edited_policy):
    apply_policy()
    apply_policy()
    assert PolicyVersion.objects.count() == 1
    # Rewritten without comments, in another layout: the same policy, so the same version.
    edited_policy(lambda d: None)
    assert "unchanged" in apply_policy()
    assert PolicyVersion.objects.count() == 1


def test_it_keeps_the_order_of_the_policy_in_a_stored_version():
    apply_policy()
    stored = PolicyVersion.objects.get().document
    loaded = policy_current().document
    for section in ("purposes", "products", "categories", "fields"):
        assert list(stored[section]) == list(loaded[section])
    assert list(stored["purposes"])[:2] == ["administration", "invoicing"]


def _new_contact(d: dict[str, Any]) -> None:
    d["controller"]["contact_email"] = NEW_EMAIL


def _five_years(d: dict[str, Any]) -> None:
    d["purposes"]["administration"]["retention"]["years"] = 5


def test_it_adds_a_version_for_an_edited_policy_and_keeps_the_old_statement(client, edited_policy):
    apply_policy()
    old = policy_current().digest[:12]
    edited_policy(_new_contact)
    new = policy_current().digest[:12]
    apply_policy()
    assert client.get("/privacy").status_code == 200
    assert PolicyVersion.objects.count() == 2

    listed = parse(client.get("/privacy/versions", {"lang": "en"}).content.decode())
    rows = listed.rows()[1:]
    assert [r[0] for r in rows] == [f"{new} current", old]

    for lang in ("nl", "en"):
        old_page = client.get(f"/privacy/versions/{old}", {"lang": lang}).content.decode()
        assert f"mailto:{OLD_EMAIL}" in old_page and NEW_EMAIL not in old_page
        new_page = client.get(f"/privacy/versions/{new}", {"lang": lang}).content.decode()
        assert f"mailto:{NEW_EMAIL}" in new_page and OLD_EMAIL not in new_page


def _changes(client: Any, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    return parse(response.content.decode()).find("ul", **{"class": "changes"}).items()


def test_it_compares_two_versions_in_words(client, edited_policy):
    apply_policy()

    def both(d: dict[str, Any]) -> None:
        _new_contact(d)
        _five_years(d)

    edited_policy(both)
    apply_policy()
    listed = parse(client.get("/privacy/versions", {"lang": "en"}).content.decode())
    links = [a.attrs["href"] for a in listed.find_all("a") if "compare" in a.attrs["href"]]
    assert len(links) == 1

    assert _changes(client, links[0]) == [
        f"Controller › e-mail address: {OLD_EMAIL} → {NEW_EMAIL}",
        "Purpose “Administration” › retention period: "
        "2 years after the contract ends → 5 years after the contract ends",
    ]
    assert _changes(client, links[0].replace("lang=en", "lang=nl")) == [
        f"Verwerkingsverantwoordelijke › e-mailadres: {OLD_EMAIL} → {NEW_EMAIL}",
        "Doeleinde “Administratieve afhandeling” › bewaartermijn: "
        "2 jaar na het einde van de overeenkomst → 5 jaar na het einde van de overeenkomst",
    ]


def test_it_reports_an_added_or_removed_entry_once_not_every_entry_after_it(client, edited_policy):
    apply_policy()
    old = policy_current().digest[:12]

    def change(d: dict[str, Any]) -> None:
        del d["cookies"][0]  # sessionid; six cookies follow it
        del d["purposes"]["reporting"]
        d["roles"]["analyst"]["purposes"] = ["security"]
        d["security_measures"].insert(0, {"nl": "Tweede factor.", "en": "Second factor."})
        d["products"]["aplanner-free"]["fields"]["phone"] = "required"

    edited_policy(change)
    apply_policy()
    new = policy_current().digest[:12]
    url = f"/privacy/versions/compare?from={old}&to={new}&lang="
    assert _changes(client, url + "en") == [
        "Product “Aplanner (free)” › field “Phone number”: optional → required",
        "Purpose: removed: Strategic analyses and reports",
        "Cookie: removed: sessionid",
        "Role “Analyst” › purposes: Strategic analyses and reports → "
        "Managing, analysing, optimising and securing; preventing abuse and fraud",
        "Security measure: added: Second factor.",
    ]
    assert "Doeleinde: verwijderd: Strategische analyses en rapportages" in _changes(
        client, url + "nl"
    )


def test_it_says_so_when_two_versions_are_the_same(client):
    apply_policy()
    digest = policy_current().digest[:12]
    response = client.get(f"/privacy/versions/compare?from={digest}&to={digest}&lang=en")
    assert response.status_code == 200
    assert "No differences." in parse(response.content.decode()).text()


@pytest.mark.parametrize(
    "url",
    [
        "/privacy/versions/0123456789ab",
        "/privacy/versions/abc",
        "/privacy/versions/compare?from=0123456789ab&to={current}",
        "/privacy/versions/compare?from={current}",
        "/privacy/versions/compare",
    ],
)
@pytest.mark.parametrize(
    ("lang", "message"),
    [("nl", "Die versie bestaat niet."), ("en", "That version does not exist.")],
)
def test_it_answers_an_unknown_version_with_a_not_found_page(client, url, lang, message):
    apply_policy()
    current = policy_current().digest[:12]
    sep = "&" if "?" in url else "?"
    response = client.get(url.format(current=current) + f"{sep}lang={lang}")
    assert response.status_code == 404
    page = parse(response.content.decode())
    assert page.find("html").attrs["lang"] == lang
    assert page.find("h1").text() == message


PAGES = [
    "/privacy",
    "/privacy/versions",
    "/privacy/versions/{current}",
    "/privacy/versions/compare?from={current}&to={current}",
]


@pytest.mark.parametrize("recorded", [False, True])
def test_a_visit_writes_nothing(client, recorded):
    if recorded:
        apply_policy()
    count = PolicyVersion.objects.count()
    current = policy_current().digest[:12]
    for lang in LANGS:
        for url in PAGES[: 4 if recorded else 2]:
            with CaptureQueriesContext(connection) as queries:
                sep = "&" if "?" in url else "?"
                response = client.get(url.format(current=current) + f"{sep}lang={lang}")
            assert response.status_code == 200, url
            writes = [
                q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")
            ]
            assert writes == [], url
    assert PolicyVersion.objects.count() == count


def test_the_statement_of_a_policy_not_yet_recorded_is_shown_from_the_loaded_policy(client):
    assert PolicyVersion.objects.count() == 0
    for lang in LANGS:
        response = client.get("/privacy", {"lang": lang})
        assert language_of(response) == lang
        page = parse(response.content.decode())
        meta = page.find("p", **{"class": "meta"})
        short = policy_current().digest[:12]
        assert short in meta.text()
        # No date and no link to a version page that does not exist yet.
        assert not any(f"/privacy/versions/{short}" in a.attrs["href"] for a in meta.find_all("a"))
    listed = parse(client.get("/privacy/versions", {"lang": "en"}).content.decode())
    assert f"The version in force, {short}, has not been recorded yet" in listed.text()
    apply_policy()
    listed = parse(client.get("/privacy/versions", {"lang": "en"}).content.decode())
    assert [r[0] for r in listed.rows()[1:]] == [f"{short} current"]


SECTION_IDS = {
    "nl": ["wie", "verplicht", "gegevens", "doeleinden", "doelbinding", "bewaren", "rechten"],
    "en": [
        "who",
        "not-obligatory",
        "data",
        "purposes",
        "purpose-limitation",
        "retention",
        "rights",
    ],
}
SECTION_IDS["nl"] += ["toegang", "derden", "datalek", "beveiliging", "cookies"]
SECTION_IDS["en"] += ["access", "third-parties", "data-breach", "security", "cookies"]


@pytest.mark.parametrize("lang", LANGS)
def test_one_template_keeps_the_section_anchors_of_each_language(client, lang):
    page = parse(client.get("/privacy", {"lang": lang}).content.decode())
    article = page.find("article")
    top = [n.attrs["id"] for n in article.children if isinstance(n, Node) and n.tag == "section"]
    assert top == SECTION_IDS[lang]
    prefix = {"nl": "doel-", "en": "purpose-"}[lang]
    purposes = [s.attrs["id"] for s in article.find_all("section") if "data-purpose" in s.attrs]
    assert purposes == [prefix + key for key in policy_current().policy.purposes]


def test_every_text_of_the_statement_is_in_dutch(client):
    page = parse(client.get("/privacy", {"lang": "nl"}).content.decode()).text()
    assert untranslated_in(page) == []
