"""Every clause C1-C17 of the statement is covered by /privacy, in Dutch and English, and follows
the policy file: change the file and the statement (and the register) change with it."""

from __future__ import annotations

from typing import Any

import pytest

from waarborg.policy.selectors import policy_current
from waarborg.policy.tests.pages import (
    LANGS,
    clause,
    definitions,
    purpose,
    register_csv,
    register_html,
    statement,
)

pytestmark = pytest.mark.django_db

OLD_EMAIL = "mail@capitalmediaservices.nl"
# How the statement marks a value the controller has not confirmed yet (``to_confirm``).
TO_CONFIRM = {"nl": "nog te bevestigen", "en": "to be confirmed"}


def by_lang(nl: str, en: str) -> dict[str, str]:
    return {"nl": nl, "en": en}


def row(rows: list[list[str]], first: str) -> list[str]:
    matches = [r for r in rows if r and r[0] == first]
    assert len(matches) == 1, f"expected one row starting {first!r} in {rows}"
    return matches[0]


def test_it_names_controller_products_and_acceptance_in_c1(client, edited_policy):
    accept = by_lang("accepteren", "accept")
    products = by_lang("Aplanner Pro (betaald)", "Aplanner Pro (paid)")
    for lang in LANGS:
        text = clause(statement(client, lang), "C1").text()
        assert "Capital Media Services BV" in text
        assert OLD_EMAIL in text
        assert products[lang] in text
        assert accept[lang] in text
    old_version = policy_current().digest[:12]

    def add_product(d: dict[str, Any]) -> None:
        d["products"]["aplanner-team"] = {
            "name": {"nl": "Aplanner Team (betaald)", "en": "Aplanner Team (paid)"},
            "paid": True,
            "fields": {"name": "required", "email": "required", "iban": "required"},
        }

    edited_policy(add_product)
    new_version = policy_current().digest[:12]
    assert new_version != old_version
    team = by_lang("Aplanner Team (betaald)", "Aplanner Team (paid)")
    for lang in LANGS:
        page = statement(client, lang)
        assert team[lang] in clause(page, "C1").text()
        meta = page.find("p", **{"class": "meta"}).text()
        assert new_version in meta and old_version not in meta


def test_it_shows_required_and_optional_fields_per_product_in_c2(client, edited_policy):
    words = {
        "nl": ("Telefoonnummer", "Bankrekeningnummer (IBAN)", "noodzakelijk", "optioneel"),
        "en": ("Phone number", "Bank account (IBAN)", "required", "optional"),
    }
    not_asked = by_lang("niet gevraagd", "not asked")
    for lang in LANGS:
        phone, iban, required, optional = words[lang]
        rows = clause(statement(client, lang), "C2").rows()
        assert rows[0][1:] == [
            by_lang("Aplanner (gratis)", "Aplanner (free)")[lang],
            by_lang("Aplanner Pro (betaald)", "Aplanner Pro (paid)")[lang],
        ]
        assert row(rows, phone)[1:] == [optional, optional]
        assert row(rows, iban)[1:] == [not_asked[lang], required]

    def phone_required_for_pro(d: dict[str, Any]) -> None:
        d["products"]["aplanner-pro"]["fields"]["phone"] = "required"

    edited_policy(phone_required_for_pro)
    for lang in LANGS:
        phone, _, required, optional = words[lang]
        rows = clause(statement(client, lang), "C2").rows()
        assert row(rows, phone)[1:] == [optional, required]


def test_it_lists_categories_and_paid_only_bank_data_in_c3(client, edited_policy):
    expected = {
        "nl": ["Naam", "E-mailadres", "Telefoonnummer", "Geslacht", "Bankrekeningnummer (IBAN)"],
        "en": ["Name", "E-mail address", "Phone number", "Gender", "Bank account number (IBAN)"],
    }
    paid_only = by_lang(
        "alleen als u een betaald product afneemt", "only if you buy a paid product"
    )
    for lang in LANGS:
        section = clause(statement(client, lang), "C3")
        items = section.items()
        assert set(expected[lang]) <= set(items)
        assert any(i.startswith(by_lang("Adresgegevens:", "Address:")[lang]) for i in items)
        assert paid_only[lang] in section.text()

    def add_category(d: dict[str, Any]) -> None:
        d["categories"]["user.birth_date"] = {
            "name": {"nl": "Geboortedatum", "en": "Date of birth"},
            "description": {"nl": "Dag, maand en jaar", "en": "Day, month and year"},
        }

    edited_policy(add_category)
    added = by_lang("Geboortedatum: Dag, maand en jaar", "Date of birth: Day, month and year")
    for lang in LANGS:
        assert added[lang] in clause(statement(client, lang), "C3").items()


def test_it_explains_administration_under_contract_in_c4(client, edited_policy):
    basis = by_lang("Grondslag", "Legal basis")
    data = by_lang("Gegevens", "Data")
    # Inside a sentence, as the statement's own data list writes it.
    gender = by_lang("geslacht", "gender")
    contract = by_lang("uitvoering van een overeenkomst", "performance of a contract")
    for lang in LANGS:
        section = purpose(clause(statement(client, lang), "C4"), "administration")
        terms = definitions(section)
        assert terms[basis[lang]].startswith(contract[lang])
        assert gender[lang] in terms[data[lang]]

    def drop_gender(d: dict[str, Any]) -> None:
        d["purposes"]["administration"]["categories"].remove("user.gender")

    edited_policy(drop_gender)
    for lang in LANGS:
        terms = definitions(purpose(statement(client, lang), "administration"))
        assert gender[lang] not in terms[data[lang]]
        assert by_lang("Naam", "Name")[lang] in terms[data[lang]]


def test_it_names_the_collection_agency_for_invoicing_in_c5(client, edited_policy):
    agency = by_lang("Incassobureau", "Collection agency")
    minimum = by_lang(
        "de naam, bankgegevens, het e-mailadres en de vordering zelf",
        "the name, bank details, e-mail address and the claim itself",
    )
    recipients = by_lang("Ontvangers", "Recipients")
    for lang in LANGS:
        page = statement(client, lang)
        assert agency[lang] in definitions(purpose(page, "invoicing"))[recipients[lang]]
        assert minimum[lang] in clause(page, "C5").text()

    def rename_agency(d: dict[str, Any]) -> None:
        d["recipients"]["collection_agency"]["name"] = {
            "nl": "Incassobureau Van Dam",
            "en": "Van Dam debt collectors",
        }

    edited_policy(rename_agency)
    renamed = by_lang("Incassobureau Van Dam", "Van Dam debt collectors")
    for lang in LANGS:
        page = statement(client, lang)
        assert renamed[lang] in definitions(purpose(page, "invoicing"))[recipients[lang]]
        assert f"{renamed[lang]}:" in " ".join(clause(page, "C15").items())
        invoicing = register_csv(lang)[2]
        assert renamed[lang] in invoicing[3]


def test_it_asks_explicit_consent_with_double_opt_in_in_c6(client, edited_policy):
    consent = by_lang("Toestemming", "Consent")
    confirm = by_lang("bevestigt u eerst via een link", "you first confirm through a link")
    unsubscribe = by_lang("met één klik af te melden", "one-click link to unsubscribe")
    optional = by_lang(
        "Uw e-mailadres en telefoonnummer geeft u optioneel",
        "Your e-mail address and phone number are optional",
    )
    for lang in LANGS:
        page = clause(statement(client, lang), "C6")
        for key in ("newsletter", "offers"):
            terms = definitions(purpose(page, key))
            assert confirm[lang] in terms[consent[lang]]
            assert unsubscribe[lang] in terms[consent[lang]]
            assert optional[lang] in terms[consent[lang]]

    def no_double_opt_in(d: dict[str, Any]) -> None:
        d["purposes"]["newsletter"]["consent"]["double_opt_in"] = False

    edited_policy(no_double_opt_in)
    for lang in LANGS:
        page = statement(client, lang)
        assert confirm[lang] not in definitions(purpose(page, "newsletter"))[consent[lang]]
        assert confirm[lang] in definitions(purpose(page, "offers"))[consent[lang]]


def test_it_shows_the_balancing_test_for_security_in_c7(client, edited_policy):
    interest = by_lang("Ons belang", "Our interest")
    basis = by_lang("Grondslag", "Legal basis")
    legitimate = by_lang("gerechtvaardigd belang", "legitimate interest")
    old = by_lang("Een veilige dienst", "A secure service")
    for lang in LANGS:
        terms = definitions(purpose(clause(statement(client, lang), "C7"), "security"))
        assert terms[basis[lang]].startswith(legitimate[lang])
        assert old[lang] in terms[interest[lang]]

    new = by_lang("Phishing op klantaccounts voorkomen.", "Preventing phishing of accounts.")

    def new_interest(d: dict[str, Any]) -> None:
        d["purposes"]["security"]["balancing_test"]["interest"] = dict(new)

    edited_policy(new_interest)
    for lang in LANGS:
        terms = definitions(purpose(statement(client, lang), "security"))
        assert terms[interest[lang]].startswith(new[lang])
        assert old[lang] not in terms[interest[lang]]


def test_it_limits_reporting_to_aggregated_data_in_c8(client, edited_policy):
    aggregated = by_lang("samengevoegde of gepseudonimiseerde", "aggregated or pseudonymised")
    retention = by_lang("Bewaartermijn", "Retention period")
    before = by_lang("1 jaar na het verzamelen", "1 year after collection")
    after = by_lang("2 jaar na het verzamelen", "2 years after collection")
    for lang in LANGS:
        section = purpose(clause(statement(client, lang), "C8"), "reporting")
        assert aggregated[lang] in section.text()
        # An assumed period, shown as one: marked as still to be confirmed.
        assert definitions(section)[retention[lang]] == f"{before[lang]} {TO_CONFIRM[lang]}"

    def keep_longer(d: dict[str, Any]) -> None:
        d["purposes"]["reporting"]["retention"]["years"] = 2

    edited_policy(keep_longer)
    for lang in LANGS:
        section = purpose(statement(client, lang), "reporting")
        assert definitions(section)[retention[lang]] == f"{after[lang]} {TO_CONFIRM[lang]}"


def test_it_describes_visit_logging_and_ip_truncation_in_c9(client, edited_policy):
    fields = {
        "nl": ["URL", "IP-adres", "browsertype", "taal", "datum en tijd"],
        "en": ["URL", "IP address", "browser type", "language", "date and time"],
    }
    hours = {
        "nl": ("hoogstens 24 uur", "hoogstens 6 uur"),
        "en": ("at most 24 hours", "at most 6 hours"),
    }
    for lang in LANGS:
        section = clause(statement(client, lang), "C9")
        description = purpose(section, "visit_logging").text()
        assert all(f in description for f in fields[lang])
        assert hours[lang][0] in section.text()

    def truncate_sooner(d: dict[str, Any]) -> None:
        d["visit_log"]["ip_truncate_after_hours"] = 6

    edited_policy(truncate_sooner)
    for lang in LANGS:
        text = clause(statement(client, lang), "C9").text()
        assert hours[lang][1] in text
        assert hours[lang][0] not in text


def test_it_shows_which_role_may_use_which_purpose_in_c10(client, edited_policy):
    marketing = by_lang("Marketing", "Marketing")
    both = by_lang(
        "Nieuwsbrieven en serviceberichten; Aanbiedingen en promoties",
        "Newsletters and service messages; Offers and promotions",
    )
    only = by_lang("Nieuwsbrieven en serviceberichten", "Newsletters and service messages")
    for lang in LANGS:
        rows = clause(statement(client, lang), "C10").rows()
        assert row(rows, marketing[lang]) == [marketing[lang], both[lang]]

    def no_offers_for_marketing(d: dict[str, Any]) -> None:
        d["roles"]["marketing"]["purposes"] = ["newsletter"]

    edited_policy(no_offers_for_marketing)
    for lang in LANGS:
        rows = clause(statement(client, lang), "C10").rows()
        assert row(rows, marketing[lang]) == [marketing[lang], only[lang]]


def test_it_lists_retention_with_seven_years_for_the_books_in_c11(client, edited_policy):
    books = by_lang("Wettelijke bewaarplicht administratie", "Statutory bookkeeping")
    seven = by_lang(
        "7 jaar na het einde van het boekjaar (art. 52 lid 4 AWR)",
        "7 years after the end of the financial year (art. 52 lid 4 AWR)",
    )
    admin = by_lang("Administratieve afhandeling", "Administration")
    two = by_lang("2 jaar na het einde van de overeenkomst", "2 years after the contract ends")
    five = by_lang("5 jaar na het einde van de overeenkomst", "5 years after the contract ends")
    for lang in LANGS:
        rows = clause(statement(client, lang), "C11").rows()
        # The books' period is the law's, so a fact; administration's is assumed by the policy.
        assert row(rows, books[lang]) == [books[lang], seven[lang]]
        assert row(rows, admin[lang]) == [admin[lang], f"{two[lang]} {TO_CONFIRM[lang]}"]

    def keep_five_years(d: dict[str, Any]) -> None:
        d["purposes"]["administration"]["retention"]["years"] = 5

    edited_policy(keep_five_years)
    retention = by_lang("Bewaartermijn", "Retention period")
    for lang in LANGS:
        page = statement(client, lang)
        marked = f"{five[lang]} {TO_CONFIRM[lang]}"
        assert row(clause(page, "C11").rows(), admin[lang]) == [admin[lang], marked]
        assert definitions(purpose(page, "administration"))[retention[lang]] == marked
        administration = register_csv(lang)[1]
        assert administration[1].startswith(admin[lang])
        assert administration[5] == five[lang]
        assert two[lang] not in register_html(lang)


def test_it_lists_the_six_rights_and_a_new_contact_address_replaces_the_old_in_c12(
    client, edited_policy
):
    rights = {
        "nl": ["inzage", "rectificatie", "wissing", "beperking van de verwerking"],
        "en": ["access", "rectification", "erasure", "restriction of processing"],
    }
    rights["nl"] += ["dataportabiliteit", "bezwaar"]
    rights["en"] += ["data portability", "objection"]
    month = by_lang("binnen één maand", "within one month")
    for lang in LANGS:
        section = clause(statement(client, lang), "C12")
        assert [s.text() for s in section.find_all("strong")] == rights[lang]
        links = {a.attrs["href"] for a in section.find_all("a")}
        assert f"mailto:{OLD_EMAIL}" in links
        assert any("autoriteitpersoonsgegevens.nl" in href for href in links)
        assert month[lang] in section.text()

    def new_contact(d: dict[str, Any]) -> None:
        d["controller"]["contact_email"] = "privacy@aplanner.example"

    edited_policy(new_contact)
    for lang in LANGS:
        response = client.get("/privacy", {"lang": lang})
        html = response.content.decode()
        assert OLD_EMAIL not in html
        for number in ("C1", "C12", "C14"):
            links = {
                a.attrs.get("href", "") for a in clause(statement(client, lang), number).walk()
            }
            assert "mailto:privacy@aplanner.example" in links
        csv_text = "\n".join(",".join(r) for r in register_csv(lang))
        assert OLD_EMAIL not in csv_text
        assert all("privacy@aplanner.example" in r[0] for r in register_csv(lang)[1:])
        assert OLD_EMAIL not in register_html(lang)


def test_it_lists_processors_with_their_agreement_in_c13(client, edited_policy):
    # The hosting processor's agreement date and sub-processor are assumed by the policy: the
    # statement names the processor but not the date, and leaves the sub-processor out.
    pending = by_lang(
        "Verwerkersovereenkomst: de datum wordt nog bevestigd.",
        "Data processing agreement: the date is being confirmed.",
    )
    hosting = by_lang("Hosting- en IT-beheerpartij", "Hosting and IT-management provider")
    for lang in LANGS:
        items = clause(statement(client, lang), "C13").items()
        [host] = [i for i in items if i.startswith(hosting[lang])]
        assert pending[lang] in host and TO_CONFIRM[lang] in host
        assert "2024" not in host and "Datacenter" not in host

    def add_processor(d: dict[str, Any]) -> None:
        d["recipients"]["accounting"] = {
            "kind": "processor",
            "name": {"nl": "Boekhoudsoftware", "en": "Accounting software"},
            "description": {"nl": "Voert de boekhouding.", "en": "Keeps the books."},
            "country": "BE",
            "categories": ["billing"],
            "agreement": {"signed": "2025-03-01"},
        }

    edited_policy(add_processor)
    added = by_lang(
        "Boekhoudsoftware (BE): Voert de boekhouding. Verwerkersovereenkomst sinds 1 maart 2025.",
        "Accounting software (BE): Keeps the books. Data processing agreement since 1 March 2025.",
    )
    for lang in LANGS:
        assert added[lang] in clause(statement(client, lang), "C13").items()


def test_it_tells_how_to_report_a_data_breach_in_c14(client, edited_policy):
    hours = by_lang("binnen 72 uur", "within 72 hours")
    for lang in LANGS:
        section = clause(statement(client, lang), "C14")
        assert f"mailto:{OLD_EMAIL}" in {a.attrs["href"] for a in section.find_all("a")}
        assert hours[lang] in section.text()
        assert "Autoriteit Persoonsgegevens" in section.text()

    def belgian_authority(d: dict[str, Any]) -> None:
        d["controller"]["supervisory_authority"]["name"] = "Gegevensbeschermingsautoriteit"

    edited_policy(belgian_authority)
    for lang in LANGS:
        text = clause(statement(client, lang), "C14").text()
        assert "Gegevensbeschermingsautoriteit" in text
        assert "Autoriteit Persoonsgegevens" not in text


def test_it_lists_the_grounds_for_disclosure_in_c15(client, edited_policy):
    grounds = {
        "nl": ["Noodgeval", "Dagvaarding of gerechtelijk bevel", "Rechtmatig verzoek"],
        "en": ["Emergency", "Subpoena or court order", "Lawful request of an authority"],
    }
    for lang in LANGS:
        items = clause(statement(client, lang), "C15").items()
        for ground in grounds[lang]:
            assert any(i.startswith(ground) for i in items), ground

    def change_grounds(d: dict[str, Any]) -> None:
        del d["disclosure_grounds"]["emergency"]
        d["disclosure_grounds"]["business_transfer"] = {
            "name": {"nl": "Overname", "en": "Takeover"},
            "description": {
                "nl": "Bij verkoop van het bedrijf.",
                "en": "When the business is sold.",
            },
        }

    edited_policy(change_grounds)
    added = by_lang(
        "Overname: Bij verkoop van het bedrijf.", "Takeover: When the business is sold."
    )
    for lang in LANGS:
        items = clause(statement(client, lang), "C15").items()
        assert added[lang] in items
        assert not any(i.startswith(grounds[lang][0]) for i in items)


def test_it_lists_security_measures_in_c16(client, edited_policy):
    for lang in LANGS:
        items = clause(statement(client, lang), "C16").items()
        assert len(items) == 5
        assert any("AES-256-GCM" in i for i in items)

    measure = by_lang(
        "Medewerkers loggen in met een tweede factor.", "Staff sign in with a second factor."
    )

    def add_measure(d: dict[str, Any]) -> None:
        d["security_measures"].append(dict(measure))

    edited_policy(add_measure)
    for lang in LANGS:
        assert measure[lang] in clause(statement(client, lang), "C16").items()
        assert all(measure[lang] in r[6] for r in register_csv(lang)[1:])


def test_it_shows_the_cookie_table_in_c17(client, edited_policy):
    session = {
        "nl": ["sessionid", "Houdt u ingelogd tijdens uw bezoek.", "eigen cookie"],
        "en": ["sessionid", "Keeps you logged in during your visit.", "first party"],
    }
    functional = by_lang("functioneel, geen toestemming nodig", "functional, no consent needed")
    for lang in LANGS:
        rows = clause(statement(client, lang), "C17").rows()
        assert len(rows) == 1 + 7
        assert row(rows, "sessionid")[:3] == session[lang]
        assert row(rows, "sessionid")[4] == functional[lang]

    def add_video_cookie(d: dict[str, Any]) -> None:
        d["cookies"].append(
            {
                "name": "yt_pref",
                "purpose": {"nl": "Toont ingesloten video's.", "en": "Shows embedded videos."},
                "party": "third",
                "lifetime": {"nl": "8 maanden", "en": "8 months"},
                "kind": "consent_required",
                "consent_category": "marketing",
            }
        )

    edited_policy(add_video_cookie)
    added = {
        "nl": ["yt_pref", "Toont ingesloten video's.", "van een derde", "8 maanden"],
        "en": ["yt_pref", "Shows embedded videos.", "third party", "8 months"],
    }
    consent = by_lang("alleen met uw toestemming (Marketing)", "only with your consent (Marketing)")
    for lang in LANGS:
        rows = clause(statement(client, lang), "C17").rows()
        assert row(rows, "yt_pref") == [*added[lang], consent[lang]]
