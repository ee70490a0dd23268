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
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import CommandError

from waarborg.audit.models import AuditEntry
from waarborg.conftest import staff
from waarborg.gate.services import Allowed, Refused, gate_fields
from waarborg.vault import index as vault_index
from waarborg.vault import keys
from waarborg.vault.index import email_index
from waarborg.vault.keys import keyring
from waarborg.vault.models import Subject, VaultKey
from waarborg.vault.rotation import RotationError, keys_rotate
from waarborg.vault.services import subject_erase
from waarborg.vault.tests.factories import OFFICER, key_bytes, pro_customer

SUPPORT = staff("support")


@pytest.fixture
def kek_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Change the key settings for one test; the cached keys are dropped before and after (the
    blind-index key too: a key cached by an earlier test has no row in this test's database)."""
    keyring.cache_clear()
    vault_index._index_keys.clear()
    yield monkeypatch
    monkeypatch.undo()
    keyring.cache_clear()
    vault_index._index_keys.clear()


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
    moved = Subject.objects.get(id=b.id)
    assert moved.wrapped_dek is not None
    with pytest.raises(InvalidTag):
        keys.unwrap(keyring().current, bytes(moved.wrapped_dek), aad=keys.dek_aad(str(b.id)))
    assert gate_fields(actor=SUPPORT, purpose="administration", subject=b.id) == Refused(
        "integrity_error"
    )


def _old_kek() -> bytes:
    return keys.kek_parse(_test_kek(), name="test")


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

    # Step 1: the servers restart with the new key as current and the old one as previous.
    new_kek = os.urandom(32)
    _use_kek(kek_env, new_kek, previous=_old_kek())
    # Step 2: rotate, with no key argument: everything not under the current KEK is rewrapped.
    progress: list[tuple[int, int]] = []
    assert keys_rotate(batch=2, progress=lambda d, t: progress.append((d, t))) == 6
    assert progress == [(1, 6), (3, 6), (5, 6), (6, 6)]  # the index key first, then 5 DEKs
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
        "count": 6,
    }

    # A second run finds nothing left to do.
    assert keys_rotate() == 0

    # Step 3: with only the new KEK configured, everything reads as before, the index included.
    _use_kek(kek_env, new_kek)
    assert keyring().current_id == new_id
    for subject in subjects:
        result = gate_fields(actor=SUPPORT, purpose="administration", subject=subject.id)
        assert isinstance(result, Allowed)
        assert result.fields["name"] == "Annelies de Vries"
    assert email_index("rotate.me@example.nl") == index_before
    assert Subject.objects.filter(email_index=index_before).get().id == subjects[0].id


@pytest.mark.django_db
def test_every_row_stays_readable_to_the_servers_throughout_a_rotation(kek_env):
    """The outage this order prevents: rows rewrapped under a key the servers do not know."""
    for _ in range(5):
        pro_customer()
    new_kek = os.urandom(32)
    _use_kek(kek_env, new_kek, previous=_old_kek())  # what every server runs with in step 1

    def every_subject_readable(done: int, total: int) -> None:
        for subject_id in Subject.objects.values_list("id", flat=True):
            result = gate_fields(actor=SUPPORT, purpose="administration", subject=subject_id)
            assert isinstance(result, Allowed)

    every_subject_readable(0, 0)
    assert keys_rotate(batch=2, progress=every_subject_readable) == 6  # 5 DEKs + the index key
    every_subject_readable(0, 0)


def test_rotating_to_a_key_the_servers_do_not_have_is_refused(kek_env):
    with pytest.raises(RotationError, match="must be WAARBORG_KEK before rotating"):
        keys_rotate(new_kek=os.urandom(32))


@pytest.mark.django_db
def test_an_interrupted_rotation_carries_on_where_it_stopped(kek_env):
    for _ in range(5):
        pro_customer()
    new_kek = os.urandom(32)
    _use_kek(kek_env, new_kek, previous=_old_kek())

    def stop_after_first_batch(done: int, total: int) -> None:
        if done > 1:  # the index key (1), then the first batch of data keys
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        keys_rotate(batch=2, progress=stop_after_first_batch)
    new_id = keys.kek_id(new_kek)
    assert Subject.objects.filter(kek_id=new_id).count() == 2  # the finished batch is kept

    # Data under either key stays readable while both are configured.
    for subject_id in Subject.objects.values_list("id", flat=True):
        assert isinstance(
            gate_fields(actor=SUPPORT, purpose="administration", subject=subject_id), Allowed
        )
    assert keys_rotate(batch=2) == 3
    assert set(Subject.objects.values_list("kek_id", flat=True)) == {new_id}
    assert keys_rotate(batch=2) == 0


@pytest.mark.django_db
def test_data_under_a_kek_that_is_no_longer_configured_is_refused_plainly(kek_env):
    subject = pro_customer()
    _use_kek(kek_env, os.urandom(32))
    with pytest.raises(ImproperlyConfigured, match="WAARBORG_KEK_PREVIOUS"):
        keyring().get(subject.kek_id)
    assert gate_fields(actor=SUPPORT, purpose="administration", subject=subject.id) == Refused(
        "integrity_error"
    )


@pytest.mark.django_db
def test_keys_rotate_command_rewraps_under_the_current_kek(kek_env):
    pro_customer()
    pro_customer()
    new_kek = os.urandom(32)
    _use_kek(kek_env, new_kek, previous=_old_kek())
    out = io.StringIO()
    call_command("keys", "rotate", stdout=out)
    new_id = keys.kek_id(new_kek)
    assert "  1/3 keys rewrapped\n  3/3 keys rewrapped\n" in out.getvalue()
    assert f"done: 3 keys rewrapped to {new_id}." in out.getvalue()
    assert set(Subject.objects.values_list("kek_id", flat=True)) == {new_id}
    again = io.StringIO()
    call_command("keys", "rotate", stdout=again)
    assert f"done: 0 keys rewrapped to {new_id}." in again.getvalue()


def _rotate_refused(*args: str) -> str:
    """Run 'keys rotate' expecting a refusal; the message must be one line."""
    with pytest.raises(CommandError) as refused:
        call_command("keys", "rotate", *args, stdout=io.StringIO())
    message = str(refused.value)
    assert "\n" not in message
    return message


@pytest.mark.django_db
def test_keys_rotate_refuses_when_data_is_under_a_key_that_is_not_configured(kek_env):
    pro_customer()
    old_id = keyring().current_id
    _use_kek(kek_env, os.urandom(32))  # WAARBORG_KEK_PREVIOUS forgotten
    message = _rotate_refused()
    assert f"not configured: {old_id} (2 keys)" in message  # a data key and the index key
    assert "WAARBORG_KEK_PREVIOUS" in message
    assert set(Subject.objects.values_list("kek_id", flat=True)) == {old_id}  # nothing changed
    assert set(VaultKey.objects.values_list("kek_id", flat=True)) == {old_id}
    status = io.StringIO()
    call_command("keys", "status", stdout=status)
    assert f"wrapped by a key that is not configured: {old_id} (2)" in status.getvalue()


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("WAARBORG_KEK_PREVIOUS", "not base64!", "WAARBORG_KEK_PREVIOUS is not valid base64."),
        ("WAARBORG_KEK", base64.b64encode(b"short").decode(), "must be 32 random bytes"),
    ],
)
def test_keys_rotate_refuses_a_malformed_key_in_one_line(kek_env, variable, value, problem):
    _use_kek(kek_env, os.urandom(32), previous=_old_kek())
    kek_env.setenv(variable, value)
    assert problem in _rotate_refused()


@pytest.mark.django_db
def test_keys_rotate_refuses_a_damaged_data_key_in_one_line(kek_env):
    good, damaged = pro_customer(), pro_customer()
    row = Subject.objects.get(id=damaged.id)
    assert row.wrapped_dek is not None
    broken = bytearray(row.wrapped_dek)
    broken[-1] ^= 1
    Subject.objects.filter(id=damaged.id).update(wrapped_dek=bytes(broken))
    _use_kek(kek_env, os.urandom(32), previous=_old_kek())
    message = _rotate_refused("--batch", "1")
    assert f"the data key of subject {damaged.id} does not decrypt" in message
    # The good row stays readable under whichever key it is wrapped by now.
    result = gate_fields(actor=SUPPORT, purpose="administration", subject=good.id)
    assert isinstance(result, Allowed)


@pytest.mark.django_db
def test_keys_rotate_interrupted_says_so_and_a_rerun_carries_on(kek_env):
    for _ in range(5):
        pro_customer()
    new_kek = os.urandom(32)
    _use_kek(kek_env, new_kek, previous=_old_kek())
    real_wrap, calls = keys.wrap, [0]

    def wrap_then_interrupt(kek: bytes, key: bytes, *, aad: bytes) -> bytes:
        calls[0] += 1
        if calls[0] == 4:  # in the second batch of data keys
            raise KeyboardInterrupt
        return real_wrap(kek, key, aad=aad)

    kek_env.setattr(keys, "wrap", wrap_then_interrupt)
    message = _rotate_refused("--batch", "2")
    assert message.startswith("interrupted after 3 of 6 keys")
    assert "again" in message
    kek_env.setattr(keys, "wrap", real_wrap)
    out = io.StringIO()
    call_command("keys", "rotate", "--batch", "2", stdout=out)
    assert f"done: 3 keys rewrapped to {keys.kek_id(new_kek)}." in out.getvalue()


def test_the_old_new_kek_file_flow_is_refused_with_directions(kek_env, tmp_path):
    new_file = tmp_path / "new.kek"
    new_file.write_text(keys.kek_generate())
    message = _rotate_refused("--new-kek-file", str(new_file))
    assert "WAARBORG_KEK_PREVIOUS" in message and "restart" in message


def test_keys_help_describes_the_order_of_rotation():
    command = load_command_class(get_commands()["keys"], "keys")
    assert command.help.index("WAARBORG_KEK_PREVIOUS") < command.help.index("(2) run")


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


def test_waarborg_keys_rotate_with_a_malformed_previous_key_is_one_line():
    env = {**os.environ, "WAARBORG_KEK_PREVIOUS": "not base64!"}
    refused = subprocess.run(
        [str(Path(sys.executable).with_name("waarborg")), "keys", "rotate"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2
    assert refused.stderr == (
        "waarborg: configuration error: WAARBORG_KEK_PREVIOUS is not valid base64.\n"
    )
