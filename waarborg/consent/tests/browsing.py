"""A visitor in a real Chromium: what the browser holds (cookies), what it fetched (the test
tags), what the Content-Security-Policy refused, and the banner as a person sees it."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from waarborg.policy.selectors import policy_current

LOCALE = {"nl": "nl-NL", "en": "en-GB"}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
WORDS = {
    "nl": {"accept": "Accepteren", "refuse": "Weigeren", "settings": "Instellingen",
           "save": "Mijn keuze opslaan", "ran": "testtag gedraaid",
           "not run": "testtag niet gedraaid", "statistics": "Statistiek",
           "reopen": "Uw cookie-instellingen wijzigen"},
    "en": {"accept": "Accept", "refuse": "Refuse", "settings": "Settings",
           "save": "Save my choice", "ran": "test tag ran", "not run": "test tag not run",
           "statistics": "Statistics", "reopen": "Change your cookie settings"},
}  # fmt: skip
# Collects what the browser refused under the Content-Security-Policy, from the first script on.
LISTEN = """
window.__refused = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__refused.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""
GPC = """Object.defineProperty(Navigator.prototype, "globalPrivacyControl",
  {get() { return true; }, configurable: true});"""


def without_consent() -> set[str]:
    """The catalogue's cookies that may be set before any choice: functional and exempt ones."""
    return {c.name for c in policy_current().policy.cookies if c.kind != "consent_required"}


class Visitor:
    """One browser context: a person with their own cookies."""

    def __init__(self, browser: Any, base: str, lang: str, **options: Any) -> None:
        self.base, self.lang, self.words = base, lang, WORDS[lang]
        scheme = options.pop("color_scheme", "light")
        self.context = browser.new_context(
            locale=LOCALE[lang], viewport=DESKTOP, color_scheme=scheme, **options
        )
        self.context.add_init_script(LISTEN)
        self.page = self.context.new_page()
        self.tags: list[str] = []  # test tags the browser fetched
        self.page.on("request", self._request)

    def _request(self, request: Any) -> None:
        if request.url.endswith("/demo-tag.js"):
            self.tags.append(request.url)

    def open(self, path: str) -> None:
        sep = "&" if "?" in path else "?"
        self.page.goto(f"{self.base}{path}{sep}lang={self.lang}")
        self.page.wait_for_load_state("networkidle")

    @property
    def banner(self) -> Any:
        return self.page.locator(".wb-banner")

    def button(self, word: str) -> Any:
        return self.banner.get_by_role("button", name=self.words[word], exact=True)

    def cookies(self) -> dict[str, str]:
        return {c["name"]: unquote(c["value"]) for c in self.context.cookies()}

    def visitor_id(self) -> str:
        return self.cookies()["wb_consent"].split(".")[0]

    def choice(self) -> list[str]:
        """The categories kept in the visitor's own wb_consent cookie."""
        part = self.cookies()["wb_consent"].split(".")[2]
        return part.split("+") if part else []

    def statuses(self) -> list[str]:
        texts: list[str] = self.page.locator("main [id^=status-]").all_inner_texts()
        return texts

    def wait_for_choice(self, accepted: list[str]) -> None:
        """Until the script has kept and applied the choice (it marks the page with it)."""
        from playwright.sync_api import expect

        expect(self.page.locator("html")).to_have_attribute("data-wb-consent", " ".join(accepted))

    def refused_by_csp(self) -> list[str]:
        found: list[str] = self.page.evaluate("window.__refused")
        return found

    def set_consent_cookie(self, transform: Any) -> None:
        """Rewrite the parts of the wb_consent cookie (id, version, categories, time, gpc)."""
        cookie = next(c for c in self.context.cookies() if c["name"] == "wb_consent")
        parts = cookie["value"].split(".")
        cookie["value"] = ".".join(str(p) for p in transform(parts))
        self.context.add_cookies([cookie])

    def close(self) -> None:
        self.context.close()


def same_size(a: Any, b: Any) -> bool:
    x, y = a.bounding_box(), b.bounding_box()
    return bool(round(x["width"]) == round(y["width"]) and round(x["height"]) == round(y["height"]))
