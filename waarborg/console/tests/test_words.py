"""Every console page, for every role, in Dutch and in English: words, never codes, and nothing
left in English on a Dutch page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from waarborg.access.services import staff_create
from waarborg.core.actors import Actor
from waarborg.core.tests.test_catalogues import _entries
from waarborg.gate.words import ACTIONS
from waarborg.policy.selectors import policy_current
from waarborg.vault.ledger import objection_record
from waarborg.vault.services import subject_create

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple 42"
CODES = {
    "role_not_permitted",
    "scope_not_permitted",
    "not_found",
    "no_consent",
    "aggregate_only",
    "consent_given",
    "visit_logging",
    "privacy_officer",
    *ACTIONS,
}


class _Visible(HTMLParser):
    """The text a person sees: no tags, attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def _english_only() -> set[str]:
    """Sentences of the software whose Dutch differs: on a Dutch page none may appear."""
    found = set()
    for po in (Path(settings.BASE_DIR) / "waarborg").glob("*/locale/nl/LC_MESSAGES/django.po"):
        for msgid, msgstr, _fuzzy in _entries(po.read_text()):
            if msgstr and msgstr != msgid and len(msgid) >= 12 and "%" not in msgid:
                found.add(msgid)
    return found


def _pages(subject_id: str) -> list[str]:
    subject = reverse("console:subject", args=[subject_id])
    return [
        reverse("console:home"),
        reverse("console:search"),
        reverse("console:register"),
        subject,
        *(f"{subject}?purpose={p}" for p in policy_current().policy.purposes),
        f"{subject}?purpose=nonsense",
    ]


def test_every_console_page_speaks_words_in_both_languages():
    policy = policy_current().policy
    fields = {"name": "Eva", "email": "eva@example.nl", "gender": "female"}
    job = Actor.job("test")
    subject = subject_create(actor=job, product="aplanner-free", fields=fields)
    objection_record(actor=job, subject_id=subject.id, purpose="offers")
    subject_id = str(subject.id)
    english = _english_only()
    problems = []
    for n, role in enumerate(policy.roles):
        # Not the role's key as login name: that would read like a code in the header.
        staff_create(actor=job, username=f"staff{n}", password=PASSWORD, roles=[role])
        client = Client()
        assert client.login(username=f"staff{n}", password=PASSWORD)
        client.post(reverse("console:search"), {"q": "eva@example.nl"})
        for url in [reverse("console:login"), *_pages(subject_id)]:
            for lang in ("nl", "en"):
                text = visible(client.get(url, HTTP_ACCEPT_LANGUAGE=lang).content.decode())
                words = set(re.findall(r"[a-z_.]+", text))
                problems += [f"{role} {lang} {url}: code {c}" for c in CODES & words]
                if lang == "nl":
                    problems += [f"{role} nl {url}: {e!r}" for e in english if e in text]
                    problems += [f"{role} nl {url}: female" for w in ["female"] if w in words]
    assert problems == []
