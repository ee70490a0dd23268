"""The download page: opening the mailed link changes nothing (a mail scanner may open it); the
button sends the archive, once."""

from __future__ import annotations

import io
import zipfile

import pytest

from waarborg.rights.tests.conftest import committed  # noqa: F401 - a fixture
from waarborg.rights.tests.support import carry_out, confirmed, link, outbox, pro

pytestmark = pytest.mark.django_db


@pytest.fixture
def download_url(committed) -> str:  # noqa: F811
    pro()
    confirmed(committed, ["access"], language="en")
    carry_out(committed)
    reference, code = link(outbox()[-1])
    return f"/privacy/center/download/{reference}/{code}"


def test_opening_the_link_offers_a_button_and_uses_nothing(client, download_url):
    for _ in range(2):
        page = client.get(download_url)
        assert page.status_code == 200 and page["Content-Language"] == "en"
        assert "Download my data" in page.content.decode()


def test_the_button_sends_the_zip_once(client, download_url):
    sent = client.post(download_url)
    assert sent.status_code == 200 and sent["Content-Type"] == "application/zip"
    assert sent["Content-Disposition"].startswith('attachment; filename="R-')
    archive = zipfile.ZipFile(io.BytesIO(sent.content))
    assert "Annelies de Vries" in archive.read("index.html").decode()
    again = client.post(download_url)
    assert again.status_code == 400
    # In the request's language (English), whatever the browser asks for.
    assert "This download link does not work" in again.content.decode()
    dutch_browser = client.post(download_url, HTTP_ACCEPT_LANGUAGE="nl")
    assert "This download link does not work" in dutch_browser.content.decode()
    assert client.get(download_url).status_code == 400


def test_a_wrong_code_opens_nothing(client, download_url):
    wrong = download_url[:-3] + "xyz"
    assert client.get(wrong).status_code == 400
    assert client.post(wrong).status_code == 400
    assert client.post(download_url).status_code == 200  # the right one still works
