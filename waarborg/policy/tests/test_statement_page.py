"""/privacy: language choice, and the versions of the statement (listed, viewable, compared)."""

from __future__ import annotations

from typing import Any

import pytest

from waarborg.policy.models import PolicyVersion
from waarborg.policy.selectors import policy_current
from waarborg.policy.tests.pages import parse

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


def test_it_adds_no_version_for_an_unchanged_policy(client, edited_policy):
    client.get("/privacy")
    client.get("/privacy/versions")
    assert PolicyVersion.objects.count() == 1
    # Rewritten without comments, in another layout: the same policy, so the same version.
    edited_policy(lambda d: None)
    client.get("/privacy", {"lang": "en"})
    assert PolicyVersion.objects.count() == 1


def test_it_keeps_the_order_of_the_policy_in_a_stored_version(client):
    client.get("/privacy")
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
    client.get("/privacy")
    old = policy_current().digest[:12]
    edited_policy(_new_contact)
    new = policy_current().digest[:12]
    assert client.get("/privacy").status_code == 200
    assert PolicyVersion.objects.count() == 2

    listed = parse(client.get("/privacy/versions", {"lang": "en"}).content.decode())
    rows = listed.rows()[1:]
    assert [r[0] for r in rows] == [f"{new} (current)", old]

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
    client.get("/privacy")

    def both(d: dict[str, Any]) -> None:
        _new_contact(d)
        _five_years(d)

    edited_policy(both)
    client.get("/privacy")
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
    client.get("/privacy")
    old = policy_current().digest[:12]

    def change(d: dict[str, Any]) -> None:
        del d["cookies"][0]  # sessionid; four cookies follow it
        del d["purposes"]["reporting"]
        d["roles"]["analyst"]["purposes"] = ["security"]
        d["security_measures"].insert(0, {"nl": "Tweede factor.", "en": "Second factor."})
        d["products"]["aplanner-free"]["fields"]["phone"] = "required"

    edited_policy(change)
    client.get("/privacy")
    new = policy_current().digest[:12]
    url = f"/privacy/versions/compare?from={old}&to={new}&lang="
    assert _changes(client, url + "en") == [
        "Product “Aplanner (free)” › field “Phone number”: optional → required",
        "Purpose: removed: Strategic analyses and reports",
        "Cookie: removed: sessionid",
        "Role “Analyst” › purposes: Strategic analyses and reports → "
        "Operations, security and fraud prevention",
        "Security measure: added: Second factor.",
    ]
    assert "Doeleinde: verwijderd: Strategische analyses en rapportages" in _changes(
        client, url + "nl"
    )


def test_it_says_so_when_two_versions_are_the_same(client):
    client.get("/privacy")
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
    client.get("/privacy")
    current = policy_current().digest[:12]
    sep = "&" if "?" in url else "?"
    response = client.get(url.format(current=current) + f"{sep}lang={lang}")
    assert response.status_code == 404
    page = parse(response.content.decode())
    assert page.find("html").attrs["lang"] == lang
    assert page.find("h1").text() == message
