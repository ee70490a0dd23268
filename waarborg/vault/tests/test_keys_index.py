"""The blind-index key is kept by a process only once it is committed, so every process has it."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import pytest
from django.db import transaction

from waarborg.vault import index as vault_index
from waarborg.vault import keys
from waarborg.vault.index import email_index
from waarborg.vault.models import VaultKey


class Boom(Exception):
    pass


@pytest.fixture
def no_cached_index_key() -> Iterator[None]:
    vault_index._index_keys.clear()
    yield
    vault_index._index_keys.clear()


def _stored_index(email: str) -> str:
    """The index as any other process computes it: under the key stored in the database."""
    row = VaultKey.objects.get(name="blind_index")
    key = keys.unwrap(
        keys.keyring().get(row.kek_id), bytes(row.wrapped), aad=b"vaultkey:blind_index"
    )
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


@pytest.mark.django_db
def test_a_key_made_in_a_transaction_that_rolls_back_is_not_kept(no_cached_index_key):
    with pytest.raises(Boom), transaction.atomic():
        lost = email_index("someone@example.nl")
        raise Boom
    assert not VaultKey.objects.filter(name="blind_index").exists()
    assert vault_index._index_keys == {}

    # The next use makes a key that is stored, and the index is computed with that one.
    index = email_index("someone@example.nl")
    assert index == _stored_index("someone@example.nl")
    assert index != lost


@pytest.mark.django_db
def test_a_key_made_in_a_transaction_is_kept_once_that_commits(
    no_cached_index_key, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        index = email_index("Someone@Example.nl ")
        assert vault_index._index_keys == {}  # not yet: the transaction may roll back
        assert email_index("someone@example.nl") == index
    assert len(vault_index._index_keys) == 1
    assert index == _stored_index("someone@example.nl")
    assert email_index("someone@example.nl") == index  # now from the cache


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_key_is_committed_and_kept_at_once(no_cached_index_key):
    index = email_index("someone@example.nl")
    assert len(vault_index._index_keys) == 1
    assert index == _stored_index("someone@example.nl")
    assert email_index("other@example.nl") != index
