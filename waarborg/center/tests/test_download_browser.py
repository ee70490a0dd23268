"""An access request walked end to end in a real Chromium, as the person would: they file it in
the privacy center, confirm it with the link from the acknowledgement, and once the worker has
carried it out, open the link in the answer, download the zip and read what is in it. A second
use of the link is refused in words. In Dutch and in English; axe-core finds no serious or
critical violation on the download page or on the page inside the archive.

The server is started like ``make serve`` (development mode, SQLite, the CMS policy) but mails
through a real SMTP server (aiosmtpd on a free local port, ``WAARBORG_SMTP_URL``); the requests
are carried out by ``waarborg worker --once``, the worker ``make serve`` starts. With
``WAARBORG_SCREENSHOTS=DIR`` every page is saved as ``DIR/center-<lang>-<page>-<width>.png``.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings

from waarborg.campaigns.tests.support import Sink
from waarborg.center.tests.test_browser import CenterWalk, _walk
from waarborg.console.tests import conftest as console
from waarborg.console.tests.conftest import BIN, Server, browser_only

browser = console.browser

pytestmark = browser_only

WORDS = {
    "nl": {
        "access": "Inzage",
        "email": "Uw e-mailadres",
        "send": "Verzoek versturen",
        "received": "Verzoek ontvangen",
        "confirm": "Mijn verzoek bevestigen",
        "confirmed": "uw verzoek is bevestigd",
        "download_title": "Uw gegevens downloaden",
        "download": "Mijn gegevens downloaden",
        "refused": "Deze downloadlink werkt niet",
        "answer_subject": "Uw privacyverzoek {ref}: ons antwoord",
    },
    "en": {
        "access": "Access",
        "email": "Your e-mail address",
        "send": "Send request",
        "received": "Request received",
        "confirm": "Confirm my request",
        "confirmed": "your request is confirmed",
        "download_title": "Download your data",
        "download": "Download my data",
        "refused": "This download link does not work",
        "answer_subject": "Your privacy request {ref}: our answer",
    },
}
PERSON = {
    "nl": {"name": "Dirk van Downloaden", "city": "Utrecht"},
    "en": {"name": "Daisy Download", "city": "Amsterdam"},
}


class Inbox(Sink):
    """Every message the SMTP server accepted, parsed (the server runs in a thread)."""

    def wait_for(self, to: str, subject: str, *, seconds: float = 10.0) -> EmailMessage:
        """The first mail to ``to`` whose subject holds ``subject``, once it arrived."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self.lock:
                for message in self.messages:
                    if to in str(message["To"]) and subject in str(message["Subject"]):
                        return message
            time.sleep(0.1)
        with self.lock:
            seen = [(str(m["To"]), str(m["Subject"])) for m in self.messages]
        raise AssertionError(f"no mail to {to} about {subject!r}; the server has {seen}")


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _link(body: str, base: str, kind: str) -> str:
    found = re.search(rf"{re.escape(base)}/privacy/center/{kind}/R-[0-9A-Z]{{6}}/\S+", body)
    assert found, body
    return found.group(0)


@pytest.fixture(scope="module")
def mailing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Inbox]]:
    """A server as ``make serve`` starts it, its mail going to a real SMTP server here."""
    inbox = Inbox()
    port = console._free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    var = tmp_path_factory.mktemp("serve-mail")
    (var / "dev.kek").write_text(console._run(dict(os.environ), "keys", "generate"))
    web = console._free_port()
    base = f"http://127.0.0.1:{web}"
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "WAARBORG_SECRET_KEY", "WAARBORG_ALLOWED_HOSTS")
        },
        "WAARBORG_DEBUG": "1",
        "WAARBORG_VAR_DIR": str(var),
        "WAARBORG_KEK_FILE": str(var / "dev.kek"),
        "WAARBORG_POLICY": str(settings.WAARBORG_POLICY),
        "WAARBORG_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "WAARBORG_PUBLIC_URL": base,
    }
    for command in (("migrate", "--noinput", "-v0"), ("policy", "apply"), ("demo_access",)):
        console._run(env, *command)
    token = json.loads((var / "demo-access.json").read_text())["token"]
    proc = subprocess.Popen(
        [str(BIN), "runserver", f"127.0.0.1:{web}", "--noreload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/privacy", timeout=1)  # noqa: S310 - our server
                break
            except OSError:
                time.sleep(0.1)
        yield Server(base=base, logins={}, token=token, env=env), inbox
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        smtp.stop()


def _carry_out(server: Server, inbox: Inbox, to: str, subject: str) -> EmailMessage:
    """Run the worker (one round at a time, as ``make serve``'s worker loops) until the answer
    arrived."""
    for _ in range(5):
        server.run("worker", "--once", "--id", "download-browser-test")
        try:
            return inbox.wait_for(to, subject, seconds=1)
        except AssertionError:
            continue
    return inbox.wait_for(to, subject, seconds=1)


def _answered(page: Any, server: Server, inbox: Inbox, lang: str, address: str) -> str:
    """As the person: file an access request in the privacy center, confirm it with the link
    from the acknowledgement (only the page's button confirms); the worker carries it out. The
    download link from the answer."""
    from playwright.sync_api import expect

    words = WORDS[lang]
    page.goto(f"{server.base}/privacy/center?lang={lang}")
    page.get_by_role("checkbox", name=words["access"], exact=True).check()
    page.get_by_label(words["email"]).fill(address)
    page.get_by_role("button", name=words["send"]).click()
    expect(page.locator("h1")).to_have_text(words["received"])
    reference = page.locator("strong.reference").inner_text()

    acknowledgement = inbox.wait_for(address, reference)
    assert acknowledgement["Content-Language"] == lang
    page.goto(_link(_body(acknowledgement), server.base, "confirm"))
    page.get_by_role("button", name=words["confirm"]).click()
    expect(page.get_by_role("status")).to_contain_text(words["confirmed"])

    answer = _carry_out(server, inbox, address, words["answer_subject"].format(ref=reference))
    assert answer["Content-Language"] == lang
    return _link(_body(answer), server.base, "download")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_person_downloads_their_access_archive_once(mailing, browser, lang, tmp_path):
    from playwright.sync_api import expect

    server, inbox = mailing
    words, person = WORDS[lang], PERSON[lang]
    address = f"download.{lang}@example.nl"
    server.api(
        "/api/v1/subjects",
        {
            "product": "aplanner-pro",
            "fields": {
                "name": person["name"],
                "email": address,
                "street": "Oudegracht",
                "house_number": "101",
                "postcode": "3511 AL",
                "city": person["city"],
                "iban": "NL91ABNA0417164300",
            },
        },
    )
    walk: CenterWalk = _walk(browser, lang)
    page = walk.page
    download_url = _answered(page, server, inbox, lang, address)
    reference = download_url.split("/download/")[1].split("/")[0]

    # Opening the link shows a page with a button and gives nothing away by itself.
    page.goto(download_url)
    expect(page.locator("h1")).to_have_text(words["download_title"])
    expect(page.locator("main")).to_contain_text(reference)
    assert address not in page.content() and person["name"] not in page.content()
    walk.check("download")
    page.reload()  # opening it again (a mail scanner did, or the person) uses nothing
    expect(page.get_by_role("button", name=words["download"])).to_be_visible()

    # The button downloads the zip.
    with page.expect_download() as started:
        page.get_by_role("button", name=words["download"]).click()
    download = started.value
    assert re.fullmatch(rf"{reference}.*\.zip", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    archive = zipfile.ZipFile(io.BytesIO(saved.read_bytes()))
    assert archive.testzip() is None
    names = set(archive.namelist())
    assert {"index.html", "data.json"} <= names, names
    data = json.loads(archive.read("data.json"))
    assert data["values"]["name"] == person["name"]
    assert data["values"]["email"] == address
    assert data["values"]["iban"] == "NL91ABNA0417164300"

    # The page in the archive opens in the browser, readable, in the person's language.
    folder = tmp_path / "archive"
    archive.extractall(folder)
    page.goto((folder / "index.html").as_uri())
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("body")).to_contain_text(person["name"])
    expect(page.locator("body")).to_contain_text(person["city"])
    expect(page.locator("body")).to_contain_text("Autoriteit Persoonsgegevens")
    walk.usernames = frozenset({"access_log"})  # the archive names its file access_log.csv
    walk.check("archive-index")
    walk.usernames = frozenset()

    # The link a second time: refused, in words, and nothing is sent.
    page.goto(download_url)
    expect(page.locator("main")).to_contain_text(words["refused"])
    assert page.get_by_role("button", name=words["download"]).count() == 0
    walk.check("download-used")
    page.context.close()
    assert not walk.problems, "\n".join(walk.problems)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_second_press_of_the_button_is_refused_in_words(mailing, browser, lang):
    """The page left open after the download: pressing its button again sends nothing more."""
    from playwright.sync_api import expect

    server, inbox = mailing
    words = WORDS[lang]
    address = f"twice.{lang}@example.nl"
    server.api(
        "/api/v1/subjects",
        {"product": "aplanner-free", "fields": {"name": "Tessa Tweemaal", "email": address}},
    )
    walk: CenterWalk = _walk(browser, lang)
    page = walk.page
    page.goto(_answered(page, server, inbox, lang, address))
    with page.expect_download():
        page.get_by_role("button", name=words["download"]).click()
    page.get_by_role("button", name=words["download"]).click()
    expect(page.locator("main")).to_contain_text(words["refused"])
    walk.check("download-pressed-twice")
    page.context.close()
    assert not walk.problems, "\n".join(walk.problems)
