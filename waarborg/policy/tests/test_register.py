"""``waarborg register``: the Art. 30(1) record as CSV (one row per purpose, columns (a) to (g))
and as a readable page (one section per purpose), in Dutch and English."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from waarborg.policy.documents import register_context
from waarborg.policy.selectors import policy_current
from waarborg.policy.tests.pages import (
    LANGS,
    Node,
    definitions,
    parse,
    register_csv,
    register_html,
    untranslated_in,
)


def by_lang(nl: str, en: str) -> dict[str, str]:
    return {"nl": nl, "en": en}


PURPOSES = {
    "nl": [
        "Administratieve afhandeling",
        "Facturatie en incasso",
        "Nieuwsbrieven en serviceberichten",
        "Aanbiedingen en promoties",
        "Beheer, analyse, optimalisatie en beveiliging; misbruik en fraude tegengaan",
        "Strategische analyses en rapportages",
        "Registratie van website- en appbezoek",
        "Verzoeken over uw privacyrechten",
        "Wettelijke bewaarplicht administratie",
    ],
    "en": [
        "Administration",
        "Invoicing and collection",
        "Newsletters and service messages",
        "Offers and promotions",
        "Managing, analysing, optimising and securing; preventing abuse and fraud",
        "Strategic analyses and reports",
        "Website and app visit logging",
        "Requests about your privacy rights",
        "Statutory bookkeeping",
    ],
}
LETTERS = ["(a)", "(b)", "(c)", "(d)", "(e)", "(f)", "(g)"]


def by_purpose(rows: list[list[str]], lang: str) -> dict[str, list[str]]:
    return dict(zip(PURPOSES[lang], rows[1:], strict=True))


@pytest.mark.parametrize("lang", LANGS)
def test_it_prints_one_csv_row_per_purpose_with_the_seven_columns(lang):
    rows = register_csv(lang)
    header, body = rows[0], rows[1:]
    assert [h.split(" ")[0] for h in header] == LETTERS
    assert [r[1].split(":")[0] for r in body] == PURPOSES[lang]
    assert all(len(r) == 7 and all(cell.strip() for cell in r) for r in body)
    assert all(
        r[0] == "Capital Media Services BV (Aplanner), mail@capitalmediaservices.nl, NL"
        for r in body
    )


def test_it_shows_seven_years_and_art_52_awr_for_the_books():
    en = by_purpose(register_csv("en"), "en")["Statutory bookkeeping"]
    assert en[1].endswith("[legal obligation (art. 52 Algemene wet inzake rijksbelastingen (AWR))]")
    assert en[5] == "7 years after the end of the financial year (art. 52 lid 4 AWR)"
    nl = by_purpose(register_csv("nl"), "nl")["Wettelijke bewaarplicht administratie"]
    assert nl[1].endswith(
        "[wettelijke verplichting (art. 52 Algemene wet inzake rijksbelastingen (AWR))]"
    )
    assert nl[5] == "7 jaar na het einde van het boekjaar (art. 52 lid 4 AWR)"


def test_it_fills_subjects_data_and_recipients_from_the_policy():
    rows = by_purpose(register_csv("en"), "en")
    invoicing = rows["Invoicing and collection"]
    assert invoicing[2] == (
        "Data subjects: Customers (users of products and services). Data: Name, E-mail address, "
        "Address, Bank account number (IBAN), Invoice data"
    )
    assert invoicing[3] == (
        "Hosting and IT-management provider (processor); Collection agency (third party)"
    )
    assert rows["Strategic analyses and reports"][3] == "None"
    assert all(r[4] == "None; all recipients in the EEA" for r in rows.values())
    measures = [
        "Personal data is stored encrypted (AES-256-GCM) in a secured database, with a key per "
        "person.",
        "A secured backup.",
    ]
    assert all(all(m in r[6] for m in measures) for r in rows.values())


def test_it_names_a_transfer_outside_the_eea_with_its_safeguard(edited_policy):
    def us_sub_processor(d: dict[str, Any]) -> None:
        hosting = d["recipients"]["hosting"]
        hosting["sub_processors"].append(
            {"name": "Backup Co", "service": {"nl": "Back-ups", "en": "Backups"}, "country": "US"}
        )
        hosting["transfer_safeguard"] = "EU-US Data Privacy Framework"

    edited_policy(us_sub_processor)
    rows = by_purpose(register_csv("en"), "en")
    transfer = "Hosting and IT-management provider: US (EU-US Data Privacy Framework)"
    assert rows["Administration"][4] == transfer
    assert rows["Statutory bookkeeping"][4] == transfer
    assert rows["Strategic analyses and reports"][4] == "None; all recipients in the EEA"


def test_it_adds_a_row_for_a_new_purpose(edited_policy):
    def add_purpose(d: dict[str, Any]) -> None:
        d["purposes"]["surveys"] = {
            "name": {"nl": "Klanttevredenheid", "en": "Customer surveys"},
            "description": {"nl": "Enquêtes.", "en": "Surveys."},
            "basis": "legitimate_interest",
            "categories": ["user.contact.email"],
            "subject_kinds": ["customer"],
            "retention": {"months": 4, "from": "collection"},
            "balancing_test": {
                k: {"nl": "Afgewogen.", "en": "Weighed."}
                for k in ("interest", "necessity", "balance")
            },
        }

    edited_policy(add_purpose)
    rows = register_csv("en")
    assert len(rows) == 1 + 10
    assert rows[-1][1] == "Customer surveys: Surveys. [legitimate interest]"
    assert rows[-1][5] == "4 months after collection"


TERMS = {
    "nl": [
        "(b) Doeleinde en grondslag",
        "(c) Categorieën betrokkenen",
        "(c) Categorieën persoonsgegevens",
        "(d) Ontvangers",
        "(e) Doorgifte naar derde landen",
        "(f) Bewaartermijn",
    ],
    "en": [
        "(b) Purpose and legal basis",
        "(c) Categories of data subjects",
        "(c) Categories of personal data",
        "(d) Recipients",
        "(e) Transfers to third countries",
        "(f) Erasure time limit",
    ],
}
TITLE = {"nl": "Register van verwerkingsactiviteiten", "en": "Record of processing activities"}
TO_CONFIRM = {"nl": "nog te bevestigen", "en": "to be confirmed"}


def sections(page: Node) -> dict[str, dict[str, str]]:
    """Each purpose's section of the register page as {term: description}, by purpose name."""
    return {
        s.find("h2").text(): definitions(s)
        for s in page.find_all("section")
        if "data-purpose" in s.attrs
    }


@pytest.mark.parametrize("lang", LANGS)
def test_it_renders_one_section_per_purpose_in_the_language_asked(lang):
    page = parse(register_html(lang))
    assert page.find("html").attrs["lang"] == lang
    assert page.find("h1").text() == TITLE[lang]
    found = sections(page)
    assert list(found) == PURPOSES[lang]
    assert all(list(terms) == TERMS[lang] for terms in found.values())
    assert not any(
        len(row) == 7
        for table in page.find_all("table")
        for row in Node("t", children=[table]).rows()
    )
    books = found[PURPOSES[lang][-1]]
    assert (
        books[TERMS[lang][5]]
        == by_lang(
            "7 jaar na het einde van het boekjaar (art. 52 lid 4 AWR)",
            "7 years after the end of the financial year (art. 52 lid 4 AWR)",
        )[lang]
    )
    awr = "(art. 52 Algemene wet inzake rijksbelastingen (AWR))."
    basis = by_lang("Grondslag: wettelijke verplichting", "Legal basis: legal obligation")
    assert books[TERMS[lang][0]].endswith(f"{basis[lang]} {awr}")
    administration = found[PURPOSES[lang][0]]
    assert (
        administration[TERMS[lang][2]]
        == by_lang(
            "Naam, adresgegevens, geslacht, telefoonnummer en e-mailadres",
            "Name, address, gender, phone number and e-mail address",
        )[lang]
    )


def test_it_names_the_controller_and_the_security_measures_once():
    page = parse(register_html("en"))
    controller = definitions(page.find("section", id="register-controller"))
    assert controller["Controller"] == "Capital Media Services BV (trading as Aplanner), NL"
    assert controller["Contact for data protection"] == "mail@capitalmediaservices.nl"
    assert controller["Supervisory authority"] == "Autoriteit Persoonsgegevens"
    measures = page.find("section", id="register-measures").items()
    assert len(measures) == 5 and any("AES-256-GCM" in m for m in measures)


@pytest.mark.parametrize("lang", LANGS)
def test_it_marks_and_lists_every_value_still_to_be_confirmed(lang):
    page = parse(register_html(lang))
    found = sections(page)
    retention = TERMS[lang][5]
    marked = [name for name, terms in found.items() if terms[retention].endswith(TO_CONFIRM[lang])]
    assert marked == PURPOSES[lang][:-1]  # all but the books, whose period is the law's

    pending = page.find("section", id="register-to-confirm").rows()[1:]
    assert len(pending) == len(policy_current().warnings) == 14
    agreement = by_lang(
        "Verwerkersovereenkomst met „Hosting- en IT-beheerpartij”",
        "Data processing agreement with “Hosting and IT-management provider”",
    )[lang]
    [row] = [r for r in pending if r[0] == agreement]
    assert row[1] == by_lang("15 januari 2024", "15 January 2024")[lang]
    assert (
        row[2]
        == by_lang(
            "Een voorlopige datum; vul de datum van de gesloten overeenkomst in.",
            "A placeholder date; set the date of the agreement on file.",
        )[lang]
    )
    hosting = page.find("section", data_recipient="hosting")
    assert "Datacenter in Nederland" in hosting.text()
    assert hosting.text().count(TO_CONFIRM[lang]) == 3  # the entry, its date, its sub-processor


def test_a_confirmed_value_is_no_longer_marked(edited_policy):
    def confirm_hosting(d: dict[str, Any]) -> None:
        hosting = d["recipients"]["hosting"]
        for entry in (hosting, hosting["agreement"], *hosting["sub_processors"]):
            del entry["to_confirm"]

    edited_policy(confirm_hosting)
    page = parse(register_html("en"))
    assert TO_CONFIRM["en"] not in page.find("section", data_recipient="hosting").text()
    assert len(page.find("section", id="register-to-confirm").rows()) == 1 + 11


def test_the_register_fragment_can_be_included_by_any_page():
    context = register_context(policy_current().policy, "en", version="abc123")
    with translation.override("nl"):  # the including page's own language does not leak in
        html = render_to_string("policy/_register.html", {"register": context}).strip()
    assert html.startswith("<section") and "<html" not in html and "<style" not in html
    page = parse(html)
    assert page.find("h1").text() == TITLE["en"]
    assert "Policy version abc123." in page.find("p", **{"class": "meta"}).text()
    assert list(sections(page)) == PURPOSES["en"]


def test_every_text_of_the_register_is_in_dutch():
    page = parse(register_html("nl"))
    assert untranslated_in(page.text()) == []
    assert "to be confirmed" not in page.text()


@pytest.mark.parametrize("lang", LANGS)
def test_it_speaks_to_an_auditor_not_to_the_customer(lang):
    """The record describes each purpose in the third person (``record``), never as "your"."""
    found = sections(parse(register_html(lang)))
    second_person = re.compile(r"\b(your|you|uw|u)\b", re.IGNORECASE)
    purposes = {name: terms[TERMS[lang][0]] for name, terms in found.items()}
    assert {n: d for n, d in purposes.items() if second_person.search(d)} == {}
