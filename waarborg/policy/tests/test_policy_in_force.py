"""Which version is in force: re-activated versions, a file that breaks while running, and old
versions that the current format can no longer read."""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation

from waarborg.conftest import POLICY_FILE
from waarborg.policy.loader import PolicyInvalid
from waarborg.policy.models import PolicyVersion
from waarborg.policy.selectors import policy_current
from waarborg.policy.services import policy_version_record
from waarborg.policy.tests.pages import apply_policy, parse

pytestmark = pytest.mark.django_db

CMS = POLICY_FILE.read_text(encoding="utf-8")
NEW_EMAIL = "privacy@aplanner.example"


def _new_contact(d: dict[str, Any]) -> None:
    d["controller"]["contact_email"] = NEW_EMAIL


def _long_ago(digest: str, year: int) -> PolicyVersion:
    """Pretend the version ``digest`` was first (and last) put in force on 1 March ``year``."""
    when = dt.datetime(year, 3, 1, 12, tzinfo=dt.UTC)
    PolicyVersion.objects.filter(digest=digest).update(effective_at=when, activated_at=when)
    return PolicyVersion.objects.get(digest=digest)


def _day(value: dt.datetime) -> str:
    """The day as the pages show it: in the site's time zone (Amsterdam), where a UTC evening
    after 23:00 is already the next day."""
    with translation.override("en"):
        return str(date_filter(timezone.localtime(value), "j F Y"))


def test_a_policy_put_back_in_force_is_current_again_since_it_came_back(client, edited_policy):
    edited_policy(lambda d: None)
    apply_policy()
    digest_a = policy_current().digest
    _long_ago(digest_a, 2024)
    edited_policy(_new_contact)
    apply_policy()
    digest_b = policy_current().digest
    _long_ago(digest_b, 2025)

    edited_policy(lambda d: None)  # back to A, as a new file with the same content
    assert policy_current().digest == digest_a
    apply_policy()
    page = parse(client.get("/privacy", {"lang": "en"}).content.decode())
    meta = page.find("p", **{"class": "meta"}).text()
    today = _day(timezone.now())
    assert f"in force since {today}" in meta and "2024" not in meta
    assert PolicyVersion.objects.count() == 2

    listed = parse(client.get("/privacy/versions", {"lang": "en"}).content.decode())
    rows = listed.rows()[1:]
    assert [r[0] for r in rows] == [f"{digest_a[:12]} current", digest_b[:12]]

    # The version's own page still says when it first took effect.
    own = parse(client.get(f"/privacy/versions/{digest_a[:12]}", {"lang": "en"}).content.decode())
    assert (
        _day(dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC))
        in own.find("p", **{"class": "meta"}).text()
    )


def test_the_current_mark_follows_the_policy_in_force_not_the_list_order(client):
    apply_policy()
    current = policy_current().digest
    later = timezone.now() + dt.timedelta(days=1)
    PolicyVersion.objects.create(
        digest="f" * 64, effective_at=later, activated_at=later, document={}, source="other.yaml"
    )
    listed = parse(client.get("/privacy/versions", {"lang": "en"}).content.decode())
    marks = {r[0] for r in listed.rows()[1:]}
    assert f"{current[:12]} current" in marks and "ffffffffffff" in marks


def test_an_unchanged_policy_changes_nothing():
    loaded = policy_current()
    first, created = policy_version_record(loaded=loaded)
    assert created
    before = _long_ago(loaded.digest, 2024)
    again, changed = policy_version_record(loaded=loaded)
    assert not changed
    after = PolicyVersion.objects.get()
    assert (after.effective_at, after.activated_at) == (before.effective_at, before.activated_at)
    assert again.pk == first.pk


def _write(path: Path, text: str, tick: int) -> None:
    path.write_text(text, encoding="utf-8")
    stamp = 1_700_000_000 + tick  # a distinct modification time for every write
    os.utime(path, (stamp, stamp))


def _errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "waarborg.policy" and r.levelno == logging.ERROR]


def test_a_policy_that_breaks_while_running_keeps_the_last_valid_one(
    client, settings, tmp_path, caplog
):
    path = tmp_path / "running.yaml"
    _write(path, CMS, 1)
    settings.WAARBORG_POLICY = path
    valid = policy_current()

    broken = CMS.replace("basis: contract", "basis: goodwill", 1)
    line = CMS[: CMS.index("basis: contract")].count("\n") + 1
    _write(path, broken, 2)
    caplog.set_level(logging.ERROR, logger="waarborg.policy")
    assert policy_current() is valid
    assert policy_current() is valid
    assert client.get("/privacy").status_code == 200
    [logged] = _errors(caplog)
    assert f"{path}:{line}: purposes.administration.basis: " in logged.getMessage()

    # Another broken edit is a change of the file: logged once more.
    _write(path, broken.replace("basis: contract", "basis: favour", 1), 3)
    assert policy_current() is valid
    assert policy_current() is valid
    assert len(_errors(caplog)) == 2

    # Fixed: the new file is read again.
    _write(path, CMS.replace(" mail@capitalmediaservices.nl", f" {NEW_EMAIL}", 1), 4)
    assert policy_current().policy.controller.contact_email == NEW_EMAIL
    assert len(_errors(caplog)) == 2


def test_a_policy_never_valid_in_this_process_still_refuses(settings, tmp_path):
    path = tmp_path / "never-valid.yaml"
    _write(path, CMS.replace("basis: contract", "basis: goodwill", 1), 1)
    settings.WAARBORG_POLICY = path
    with pytest.raises(PolicyInvalid):
        policy_current()
    with pytest.raises(PolicyInvalid):
        policy_current()


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize(
    "document", [{"schema_version": 0, "title": "Oud formaat"}, ["not", "a", "mapping"]]
)
def test_a_version_the_current_format_cannot_read_is_shown_plainly(client, lang, document):
    apply_policy()
    current = policy_current().digest
    when = dt.datetime(2023, 5, 4, 9, tzinfo=dt.UTC)
    old = PolicyVersion.objects.create(
        digest="a" * 64, effective_at=when, activated_at=when, document=document, source="old.yaml"
    )
    response = client.get(f"/privacy/versions/{old.short}", {"lang": lang})
    assert response.status_code == 200
    page = parse(response.content.decode())
    assert page.find("html").attrs["lang"] == lang
    text = page.text()
    assert old.digest in text and "2023-05-04" in text
    expected = "cannot be shown in full" if lang == "en" else "niet volledig worden getoond"
    assert expected in text
    [link] = [a.attrs["href"] for a in page.find_all("a") if "compare" in a.attrs.get("href", "")]
    assert f"from={old.short}" in link and f"to={current[:12]}" in link
    assert client.get(link).status_code == 200

    listed = client.get("/privacy/versions", {"lang": lang})
    assert listed.status_code == 200
