"""``waarborg register``: the Art. 30(1) record, one row per purpose, columns (a) to (g)."""

from __future__ import annotations

from typing import Any

import pytest

from waarborg.policy.tests.pages import LANGS, parse, register_csv, register_html

PURPOSES = {
    "nl": [
        "Administratieve afhandeling",
        "Facturatie en incasso",
        "Nieuwsbrieven en serviceberichten",
        "Aanbiedingen en promoties",
        "Beheer, beveiliging en fraudebestrijding",
        "Strategische analyses en rapportages",
        "Registratie van website- en appbezoek",
        "Wettelijke bewaarplicht administratie",
    ],
    "en": [
        "Administration",
        "Invoicing and collection",
        "Newsletters and service messages",
        "Offers and promotions",
        "Operations, security and fraud prevention",
        "Strategic analyses and reports",
        "Website and app visit logging",
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
        "Address, Bank account number (IBAN), Invoices and payments"
    )
    assert invoicing[3] == (
        "Hosting and IT-management provider (processor); Collection agency (third party)"
    )
    assert rows["Strategic analyses and reports"][3] == "None"
    assert all(r[4] == "None; all recipients in the EEA" for r in rows.values())
    measures = [
        "Personal data is stored encrypted (AES-256-GCM) in a secured database, with a key per "
        "person.",
        "Encrypted backups; on restore, erased data stays erased.",
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
    assert len(rows) == 1 + 9
    assert rows[-1][1] == "Customer surveys: Surveys. [legitimate interest]"
    assert rows[-1][5] == "4 months after collection"


@pytest.mark.parametrize("lang", LANGS)
def test_it_prints_the_same_register_as_an_html_table(lang):
    page = parse(register_html(lang))
    assert page.find("html").attrs["lang"] == lang
    table = page.find("table")
    header = [th.text() for th in table.find("thead").find_all("th")]
    body = [[td.text() for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")]
    csv_rows = register_csv(lang)
    assert header == csv_rows[0]
    assert body == csv_rows[1:]
    assert len(body) == 8
