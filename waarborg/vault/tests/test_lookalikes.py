"""Look-alike spellings of one address are one person; values that read other than they are are
refused."""

from __future__ import annotations

import pytest

from waarborg.conftest import en
from waarborg.vault.index import email_index
from waarborg.vault.selectors import subject_ids_by_email
from waarborg.vault.services import subject_create
from waarborg.vault.tests.factories import SIGNUP
from waarborg.vault.validation import InvalidFields

pytestmark = pytest.mark.django_db


def _create(**fields: str):
    values = {"name": "Anna", **fields}
    return subject_create(actor=SIGNUP, product="aplanner-free", fields=values)


def test_a_full_width_spelling_finds_the_same_person():
    subject = _create(email="anna@example.nl")
    assert subject_ids_by_email("ａｎｎａ@ｅｘａｍｐｌｅ.ｎｌ") == [subject.id]
    assert subject_ids_by_email("ANNA@Example.NL") == [subject.id]
    assert email_index("ａｎｎａ@example.nl") == email_index("anna@example.nl")


def test_an_international_domain_is_one_address_in_either_spelling():
    assert email_index("anna@bücher.de") == email_index("anna@xn--bcher-kva.de")


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("\u0430nna@example.nl", "This is not a valid e-mail address."),  # Cyrillic a
        ("anna@ex\u0430mple.nl", "The domain of this address mixes alphabets"),
    ],
)
def test_a_look_alike_address_is_refused(address, why):
    with pytest.raises(InvalidFields) as refused:
        _create(email=address)
    assert en(refused.value.errors["email"]).startswith(why)


@pytest.mark.parametrize("text", ["Anna\u202egnirts", "An\u200bna", "Anna\x07"])
def test_invisible_control_characters_are_refused(text):
    with pytest.raises(InvalidFields) as refused:
        subject_create(
            actor=SIGNUP, product="aplanner-free", fields={"name": text, "email": "a@b.nl"}
        )
    assert en(refused.value.errors["name"]) == "This contains invisible control characters."


def test_distinct_international_domains_stay_distinct_people():
    # IDNA 2008, as validation checks: ß is its own letter, not "ss".
    assert email_index("eva@faß.de") != email_index("eva@fass.de")
    first, second = _create(email="eva@fass.de"), _create(email="eva@faß.de")
    assert subject_ids_by_email("eva@faß.de") == [second.id]
    assert subject_ids_by_email("eva@fass.de") == [first.id]


@pytest.mark.parametrize("address", ["eva@מבחן1.co.il", "eva@日本語ドメイン.jp", "eva@bücher.de"])
def test_valid_international_domains_are_accepted_and_found(address):
    subject = _create(email=address)
    assert subject_ids_by_email(address) == [subject.id]
