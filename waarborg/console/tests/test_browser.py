"""The console tried as a new user would, in a real Chromium, against a real server process
(see conftest.py: started like ``make serve``, SQLite, demo data)."""

from __future__ import annotations

from waarborg.console.tests.conftest import Server, browser_only

pytestmark = browser_only


def test_support_sees_address_not_bank_account_and_marketing_is_refused(server: Server, browser):
    from playwright.sync_api import expect

    fields = {
        "name": "Wilma Weg",
        "email": "wilma.weg@example.nl",
        "street": "Herengracht",
        "house_number": "40",
        "postcode": "1015 BN",
        "city": "Amsterdam",
        "iban": "NL91ABNA0417164300",
    }
    created = server.api("/api/v1/subjects", {"product": "aplanner-pro", "fields": fields})
    context = browser.new_context(locale="nl-NL")
    page = context.new_page()

    def login(role: str) -> None:
        page.goto(server.base + "/console/login")
        page.get_by_label("Gebruikersnaam").fill(role)
        page.get_by_label("Wachtwoord").fill(server.logins[role])
        page.get_by_role("button", name="Inloggen").click()
        expect(page.get_by_role("heading", name="Betrokkene zoeken")).to_be_visible()

    def open_customer(purpose_label: str) -> None:
        page.get_by_label("E-mailadres, telefoonnummer of id").fill("wilma.weg@example.nl")
        page.get_by_role("button", name="Zoeken").click()
        page.get_by_role("link", name="Betrokkene").first.click()
        page.get_by_label("Voor welk doeleinde").select_option(label=purpose_label)
        page.get_by_role("button", name="Tonen").click()

    login("support")
    open_customer("Administratieve afhandeling")
    fields_shown = page.locator("dl.fields")
    expect(fields_shown).to_contain_text("Wilma Weg")
    expect(fields_shown).to_contain_text("Herengracht")
    expect(fields_shown).to_contain_text("1015 BN")
    assert "NL91ABNA0417164300" not in page.content()

    page.get_by_role("button", name="Uitloggen").click()
    login("marketing")
    # Without her consent marketing may read nothing of her: the search answers as for a
    # stranger, and her page (reached by its address) says why it is refused.
    page.get_by_label("E-mailadres, telefoonnummer of id").fill("wilma.weg@example.nl")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_text("Geen betrokkene gevonden.")).to_be_visible()
    page.goto(f"{server.base}/console/subjects/{created['id']}?purpose=newsletter")
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("geen (geldige) toestemming")
    assert "Wilma" not in page.content()
    context.close()
