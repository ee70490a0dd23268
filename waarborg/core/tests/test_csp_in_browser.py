"""The Content-Security-Policy in a real Chromium: the pages a person opens, the API docs (ninja's
Swagger UI, served from our own static files) among them, render without one violation and load
nothing from anywhere but the server itself.

Runs against the server of the console's browser tests (started like ``make serve``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from waarborg.console.tests import conftest as console
from waarborg.console.tests.conftest import Server, browser_only

# The console's browser-test fixtures, used here too.
server = console.server
browser = console.browser

pytestmark = browser_only

CUSTOMER = {"name": "Cas Streng", "email": "cas.streng.csp@example.nl"}
# Collects what the browser refused, from before any script of the page runs.
LISTEN = """
window.__refused = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__refused.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Visit:
    def __init__(self, browser: Any, server: Server) -> None:
        self.context = browser.new_context(locale="en-GB")
        self.context.add_init_script(LISTEN)
        self.page = self.context.new_page()
        self.server = server
        self.origin = urlsplit(server.base).netloc
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("request", self._request)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.problems.append(f"{self.page.url}: {message.text}")

    def _request(self, request: Any) -> None:
        where = urlsplit(request.url)
        if where.scheme != "data" and where.netloc != self.origin:
            self.problems.append(f"{self.page.url} loads {request.url}")

    def check(self) -> None:
        for refused in self.page.evaluate("window.__refused"):
            self.problems.append(f"{self.page.url}: refused {refused}")


def test_api_docs_render_with_the_policy_and_load_only_our_files(server: Server, browser):
    from playwright.sync_api import expect

    visit = Visit(browser, server)
    page = visit.page
    answer = page.goto(server.base + "/api/docs")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    # Swagger UI built the page from /api/openapi.json: its script ran and could fetch.
    expect(page.locator(".opblock-summary-path").first).to_be_visible(timeout=15_000)
    expect(page.get_by_text("/api/v1/subjects/{subject_id}").first).to_be_visible()
    page.locator(".opblock-summary").first.click()  # opening an operation draws its form
    expect(page.locator(".opblock-body").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    visit.check()
    assert visit.problems == []
    visit.context.close()


def test_public_and_console_pages_render_with_the_policy(server: Server, browser):
    server.api("/api/v1/subjects", {"product": "aplanner-free", "fields": CUSTOMER})
    visit = Visit(browser, server)
    page = visit.page
    page.goto(server.base + "/privacy")
    visit.check()
    page.goto(server.base + "/privacy/versions")
    visit.check()
    page.goto(server.base + "/console/login")
    page.fill("#id_username", "support")
    page.fill("#id_password", server.logins["support"])
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    visit.check()
    page.fill("#q", CUSTOMER["email"])
    page.click("main form[role=search] button[type=submit]")
    page.wait_for_load_state("networkidle")
    visit.check()
    subject_url = page.locator("ul.results a").first.get_attribute("href")
    page.goto(f"{server.base}{subject_url}?purpose=administration")
    assert CUSTOMER["name"] in page.content()  # a page showing personal data
    visit.check()
    assert visit.problems == []
    visit.context.close()
