"""The console tried as a new user would, in a real Chromium, against a real server process
(see conftest.py: started like ``make serve``, SQLite, demo data)."""

from __future__ import annotations

from waarborg.console.tests.conftest import Server, browser_only, totp_code

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


OFFICER_PASSWORD = "an-officer-password-for-tests-7"


def test_a_privacy_officer_sets_up_an_app_then_logs_in_with_its_code(server: Server, browser):
    from playwright.sync_api import expect

    server.run(
        "shell",
        "-c",
        "from waarborg.access.services import staff_create; from waarborg.core.actors import Actor;"
        " staff_create(actor=Actor.job('test'), username='petra', "
        f"password='{OFFICER_PASSWORD}', roles=['privacy_officer'])",
    )
    context = browser.new_context(locale="en-GB")
    page = context.new_page()

    def password() -> None:
        page.goto(server.base + "/console/login")
        page.get_by_label("User name").fill("petra")
        page.get_by_label("Password").fill(OFFICER_PASSWORD)
        page.get_by_role("button", name="Log in").click()

    def code(value: str) -> None:
        expect(page.get_by_role("heading", name="Log in: code")).to_be_visible()
        page.get_by_label("Code from your authenticator app, or a recovery code").fill(value)
        page.get_by_role("button", name="Continue").click()

    home = page.get_by_role("heading", name="Find a data subject")

    # The role requires the app: after the password, setting it up comes first, before any page.
    password()
    expect(page.get_by_role("heading", name="Two-step login")).to_be_visible()
    page.goto(server.base + "/console/search")
    expect(page.get_by_role("heading", name="Two-step login")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text()
    assert page.locator("main svg").count() == 1  # the QR code
    page.get_by_label("Code from your authenticator app").fill(totp_code(secret))
    page.get_by_role("button", name="Confirm and turn on").click()
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(set(codes)) == 10
    page.get_by_role("link", name="I have stored them: continue to the console").click()
    # ... on to the page they asked for while not set up yet
    expect(page.get_by_role("heading", name="Search", exact=True)).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # Password, then a wrong code (refused in words), then the app's code.
    password()
    code("000000")
    expect(page.get_by_role("alert")).to_have_text(
        "That code is not right. Try again with the code your app shows now."
    )
    code(totp_code(secret, ahead=1))
    expect(home).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # A recovery code instead of the app: once.
    password()
    code(codes[0])
    expect(home).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    password()
    code(codes[0])
    expect(page.get_by_role("alert")).to_contain_text("That code is not right.")
    context.close()
