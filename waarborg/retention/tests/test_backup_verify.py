"""``waarborg backup verify``: a sound backup passes; a changed, cut or broken one is named."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from waarborg.audit.models import AuditEntry
from waarborg.audit.services import audit_seal
from waarborg.audit.tests.support import audit_triggers_drop
from waarborg.retention.sealed import MAGIC
from waarborg.retention.tests.support import Setup
from waarborg.vault.tests.factories import pro_customer

pytestmark = pytest.mark.usefixtures("committed_db")


def _backup(setup: Setup) -> bytes:
    path = setup.folder / "waarborg.backup"
    made = setup.run("backup", "create", str(path))
    assert made.returncode == 0, made.stderr
    return path.read_bytes()


def _manifest_changed(sound: bytes, **changes: str) -> bytes:
    start = len(MAGIC) + 4
    length = int.from_bytes(sound[len(MAGIC) : start], "big")
    manifest = {**json.loads(sound[start : start + length]), **changes}
    raw = json.dumps(manifest, sort_keys=True).encode()
    return MAGIC + len(raw).to_bytes(4, "big") + raw + sound[start + length :]


def _verify(setup: Setup, content: bytes, name: str) -> tuple[int, str, str]:
    path = setup.folder / name
    path.write_bytes(content)
    done = setup.run("backup", "verify", str(path))
    return done.returncode, done.stdout, done.stderr


def test_verify_passes_a_sound_backup_and_names_one_changed_or_cut_short(setup: Setup):
    for _ in range(3):
        pro_customer()
    sound = _backup(setup)

    code, out, err = _verify(setup, sound, "sound.backup")
    assert code == 0, err
    entries = AuditEntry.objects.count()
    assert f"audit chain in the backup: {entries} entries, chain intact" in out
    assert out.strip().endswith("the backup is sound")

    changed = bytearray(sound)
    changed[len(sound) // 2] ^= 0x01
    code, _, err = _verify(setup, bytes(changed), "changed.backup")
    assert code == 1
    assert "the backup was changed or damaged: part 1 does not decrypt" in err

    code, _, err = _verify(setup, sound[: len(sound) - 40], "cut.backup")
    assert code == 1
    assert "ends early" in err

    # The manifest is readable without the key, but bound to every part: an old backup cannot
    # be passed off as a newer one.
    manifest = _manifest_changed(sound, created_at="2099-01-01T00:00:00+00:00")
    code, _, err = _verify(setup, manifest, "manifest.backup")
    assert code == 1
    assert "does not decrypt" in err

    code, _, err = _verify(setup, b"not a backup at all", "other.file")
    assert code == 1
    assert "this file is not a waarborg backup" in err


def test_verify_names_a_broken_audit_chain_inside_the_backup(setup: Setup):
    pro_customer()
    victim = pro_customer()
    audit_seal()  # the entry is in the chain before it is changed
    entry = AuditEntry.objects.filter(subject_id=victim.id).order_by("id").first()
    assert entry is not None
    audit_triggers_drop()  # committed_db puts them back
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET purpose = 'offers' WHERE id = %s", [entry.id])
    broken = _backup(setup)

    code, _, err = _verify(setup, broken, "broken.backup")

    assert code == 1
    assert f"the backup is not sound: audit chain: chain broken at entry {entry.id}" in err
