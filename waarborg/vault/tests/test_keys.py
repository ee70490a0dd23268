"""The key-encryption key: fail closed without it, rotate it without touching the data."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from waarborg.audit.models import AuditEntry
from waarborg.conftest import staff
from waarborg.gate.services import Allowed, gate_fields
from waarborg.vault import keys
from waarborg.vault import services as vault_services
from waarborg.vault.keys import keyring
from waarborg.vault.models import Subject, VaultKey
from waarborg.vault.rotation import keys_rotate
from waarborg.vault.services import email_index, subject_erase
from waarborg.vault.tests.factories import OFFICER, key_bytes, pro_customer

SUPPORT = staff("support")


@pytest.fixture
def kek_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Change the key settings for one test; the cached keys are dropped before and after (the
    blind-index key too: a key cached by an earlier test has no row in this test's database)."""
    keyring.cache_clear()
    vault_services._index_keys.clear()
    yield monkeypatch
    monkeypatch.undo()
    keyring.cache_clear()
    vault_services._index_keys.clear()


def _use_kek(env: pytest.MonkeyPatch, kek: bytes, previous: bytes | None = None) -> None:
    env.delenv("WAARBORG_KEK_FILE", raising=False)
    env.setenv("WAARBORG_KEK", base64.b64encode(kek).decode())
    if previous is None:
        env.delenv("WAARBORG_KEK_PREVIOUS", raising=False)
    else:
        env.setenv("WAARBORG_KEK_PREVIOUS", base64.b64encode(previous).decode())
    keyring.cache_clear()


def test_without_a_kek_the_keyring_refuses(kek_env):
    kek_env.delenv("WAARBORG_KEK_FILE", raising=False)
    kek_env.delenv("WAARBORG_KEK", raising=False)
    with pytest.raises(ImproperlyConfigured, match=r"WAARBORG_KEK .* is not set"):
        keyring()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("not base64!", "not valid base64"),
        (base64.b64encode(b"short").decode(), "must be 32 random bytes"),
    ],
)
def test_a_malformed_kek_is_refused(kek_env, value, problem):
    kek_env.delenv("WAARBORG_KEK_FILE", raising=False)
    kek_env.setenv("WAARBORG_KEK", value)
    with pytest.raises(ImproperlyConfigured, match=problem):
        keyring()


def test_a_kek_set_twice_is_refused(kek_env):
    assert os.environ.get("WAARBORG_KEK_FILE")
    kek_env.setenv("WAARBORG_KEK", keys.kek_generate())
    with pytest.raises(ImproperlyConfigured, match="not both"):
        keyring()


def test_keys_generate_prints_a_fresh_32_byte_key():
    first, second = io.StringIO(), io.StringIO()
    call_command("keys", "generate", stdout=first)
    call_command("keys", "generate", stdout=second)
    assert len(base64.b64decode(first.getvalue().strip(), validate=True)) == 32
    assert first.getvalue() != second.getvalue()


@pytest.mark.django_db
def test_a_wrapped_key_cannot_be_moved_to_another_subject():
    a, b = pro_customer(), pro_customer()
    Subject.objects.filter(id=b.id).update(wrapped_dek=Subject.objects.get(id=a.id).wrapped_dek)
    with pytest.raises(InvalidTag):
        gate_fields(actor=SUPPORT, purpose="administration", subject=b.id)


@pytest.mark.django_db
def test_rotation_rewraps_every_key_without_touching_the_values(kek_env):
    index_before = email_index("rotate.me@example.nl")  # makes sure the index key row exists
    subjects = [pro_customer(email="rotate.me@example.nl")] + [pro_customer() for _ in range(4)]
    erased = pro_customer()
    subject_erase(actor=OFFICER, subject_id=erased.id, reason="request")
    before = {
        row["id"]: row
        for row in Subject.objects.exclude(id=erased.id).values("id", "values", "wrapped_dek")
    }
    old_id = keyring().current_id
    new_kek = os.urandom(32)

    progress: list[tuple[int, int]] = []
    assert keys_rotate(new_kek=new_kek, batch=2, progress=lambda d, t: progress.append((d, t))) == 5
    assert progress == [(2, 5), (4, 5), (5, 5)]
    new_id = keys.kek_id(new_kek)
    assert new_id != old_id
    for row in Subject.objects.exclude(id=erased.id).values(
        "id", "values", "wrapped_dek", "kek_id"
    ):
        assert row["values"] == before[row["id"]]["values"]
        assert key_bytes(row["wrapped_dek"]) != key_bytes(before[row["id"]]["wrapped_dek"])
        assert row["kek_id"] == new_id
    assert set(VaultKey.objects.values_list("kek_id", flat=True)) == {new_id}
    assert Subject.objects.get(id=erased.id).wrapped_dek is None
    assert AuditEntry.objects.filter(action="keys.rotate").get().detail == {
        "to": new_id,
        "count": 5,
    }

    # A second run finds nothing left to do.
    assert keys_rotate(new_kek=new_kek) == 0

    # With only the new KEK configured, everything reads as before, the blind index included.
    _use_kek(kek_env, new_kek)
    assert keyring().current_id == new_id
    for subject in subjects:
        result = gate_fields(actor=SUPPORT, purpose="administration", subject=subject.id)
        assert isinstance(result, Allowed)
        assert result.fields["name"] == "Annelies de Vries"
    assert email_index("rotate.me@example.nl") == index_before
    assert Subject.objects.filter(email_index=index_before).get().id == subjects[0].id


@pytest.mark.django_db
def test_an_interrupted_rotation_carries_on_where_it_stopped(kek_env):
    for _ in range(5):
        pro_customer()
    new_kek = os.urandom(32)

    def stop_after_first_batch(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        keys_rotate(new_kek=new_kek, batch=2, progress=stop_after_first_batch)
    new_id = keys.kek_id(new_kek)
    assert Subject.objects.filter(kek_id=new_id).count() == 2  # the finished batch is kept

    # Meanwhile servers may still run with the old key as current and the new one unknown:
    # data under either key must stay readable once both are configured.
    _use_kek(kek_env, new_kek, previous=keys.kek_parse(_test_kek(), name="test"))
    for subject_id in Subject.objects.values_list("id", flat=True):
        assert isinstance(
            gate_fields(actor=SUPPORT, purpose="administration", subject=subject_id), Allowed
        )
    assert keys_rotate(new_kek=new_kek, batch=2) == 3
    assert set(Subject.objects.values_list("kek_id", flat=True)) == {new_id}


@pytest.mark.django_db
def test_data_under_a_kek_that_is_no_longer_configured_is_refused_plainly(kek_env):
    subject = pro_customer()
    _use_kek(kek_env, os.urandom(32))
    with pytest.raises(ImproperlyConfigured, match="WAARBORG_KEK_PREVIOUS"):
        gate_fields(actor=SUPPORT, purpose="administration", subject=subject.id)


@pytest.mark.django_db
def test_keys_rotate_command_reads_the_new_key_from_a_file(tmp_path):
    pro_customer()
    pro_customer()
    new_file = tmp_path / "new.kek"
    new_file.write_text(keys.kek_generate() + "\n")
    out = io.StringIO()
    call_command("keys", "rotate", "--new-kek-file", str(new_file), stdout=out)
    new_id = keys.kek_id(keys.kek_parse(new_file.read_text(), name="new"))
    assert f"done: 2 keys rewrapped to {new_id}" in out.getvalue()
    assert set(Subject.objects.values_list("kek_id", flat=True)) == {new_id}


def _test_kek() -> str:
    return Path(os.environ["WAARBORG_KEK_FILE"]).read_text(encoding="utf-8")


def _waarborg_without_kek(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAARBORG_KEK")}
    return subprocess.run(
        [str(Path(sys.executable).with_name("waarborg")), *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_server_commands_refuse_to_start_without_a_kek():
    refused = _waarborg_without_kek("audit", "verify")
    assert refused.returncode == 2
    assert refused.stderr.startswith("waarborg: configuration error: WAARBORG_KEK")
    assert "Traceback" not in refused.stderr
    # Making a key is the one thing that works without one.
    made = _waarborg_without_kek("keys", "generate")
    assert made.returncode == 0, made.stderr
    assert len(base64.b64decode(made.stdout.strip(), validate=True)) == 32
