"""Backups that keep erasures erased, run as an operator runs them: ``waarborg backup create``
on the test database, people erased afterwards, ``waarborg backup restore`` into an empty
database. Runs on whichever database the suite uses (SQLite or PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from typing import Any
from uuid import UUID

import pytest

from waarborg.retention.management.commands.backup import PAUSE
from waarborg.retention.tests.support import WAARBORG, Setup
from waarborg.rights.execute import step_execute
from waarborg.rights.models import Export, Step
from waarborg.rights.steps import step_claim_next
from waarborg.rights.tests.support import carry_out, confirmed
from waarborg.vault.services import subject_erase
from waarborg.vault.tests.factories import OFFICER, pro_customer

pytestmark = pytest.mark.usefixtures("committed_db")


def _backup(setup: Setup) -> str:
    path = setup.folder / "waarborg.backup"
    made = setup.run("backup", "create", str(path))
    assert made.returncode == 0, made.stderr
    assert path.is_file()
    return str(path)


def test_a_person_erased_after_the_backup_stays_erased_after_a_restore(setup: Setup):
    erased, kept = pro_customer(name="Erik Wisman"), pro_customer(name="Bea Blijft")
    backup = _backup(setup)
    subject_erase(actor=OFFICER, subject_id=erased.id, reason="erasure request R-7")

    restored = setup.on_target("backup", "restore", backup)

    assert restored.returncode == 0, restored.stderr
    assert "1 people erased again" in restored.stdout
    assert setup.target_erased() == {erased.id: True, kept.id: False}
    assert setup.gate_view(erased.id, kept.id) == {erased.id: "erased", kept.id: "Bea Blijft"}
    chain = setup.on_target("audit", "verify")
    assert chain.returncode == 0, chain.stderr
    assert setup.on_target("check").returncode == 0


def _paused_restore(setup: Setup, backup: str) -> subprocess.Popen[str]:
    """A restore stopped by the test hook right after its first replayed record committed."""
    proc = subprocess.Popen(
        [str(WAARBORG), "backup", "restore", backup, "--batch", "1"],
        env=setup.env(DATABASE_URL=setup.target, **{PAUSE: "1"}),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    timer = threading.Timer(240, proc.kill)  # never hang the suite
    timer.daemon = True
    timer.start()
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "replay paused after 1 records" in line, proc.stderr.read() if proc.stderr else ""
    return proc


def test_a_restore_killed_mid_replay_refuses_to_serve_until_it_is_run_again(setup: Setup):
    first, second = pro_customer(), pro_customer()
    kept = pro_customer()
    backup = _backup(setup)
    for subject in (first, second):
        subject_erase(actor=OFFICER, subject_id=subject.id, reason="erasure request")

    restore = _paused_restore(setup, backup)
    refused = setup.server_start()
    assert refused.returncode == 2
    assert "replay of the erasure ledger has not finished" in refused.stderr
    os.kill(restore.pid, signal.SIGKILL)
    restore.wait()

    # Killed: one erasure carried out, one not; nothing may serve this database.
    erased = setup.target_erased()
    assert sorted([erased[first.id], erased[second.id]]) == [False, True]
    assert setup.server_start().returncode == 2
    checked = setup.on_target("check")
    assert checked.returncode != 0
    assert "retention.E001" in checked.stderr

    finished = setup.on_target("backup", "restore", backup)
    assert finished.returncode == 0, finished.stderr
    assert "finished the interrupted restore" in finished.stdout
    assert "1 people erased again, 1 already erased" in finished.stdout
    assert setup.target_erased() == {first.id: True, second.id: True, kept.id: False}
    assert setup.server_start().returncode == 0, setup.server_start().stderr
    assert setup.on_target("check").returncode == 0


def test_a_wrong_or_missing_backup_key_is_refused_and_nothing_is_restored(setup: Setup):
    pro_customer()
    backup = _backup(setup)
    other = setup.folder / "other.key"
    other.write_text(setup.run("keys", "generate").stdout)

    wrong = setup.on_target("backup", "restore", backup, WAARBORG_BACKUP_KEY_FILE=str(other))
    assert wrong.returncode == 2
    assert "this backup was made with backup key" in wrong.stderr
    assert "set the key the backup was made with" in wrong.stderr
    missing = setup.on_target("backup", "restore", backup, WAARBORG_BACKUP_KEY_FILE="")
    assert missing.returncode == 2
    assert "WAARBORG_BACKUP_KEY (or WAARBORG_BACKUP_KEY_FILE) is not set" in missing.stderr
    kek_file = os.environ["WAARBORG_KEK_FILE"]
    kek = setup.run("backup", "create", str(setup.folder / "b2"), WAARBORG_BACKUP_KEY_FILE=kek_file)
    assert kek.returncode == 2
    assert "WAARBORG_BACKUP_KEY is the key-encryption key" in kek.stderr
    assert setup.target_tables() == 0


def test_a_restore_refuses_a_database_that_is_not_empty(setup: Setup):
    someone = pro_customer()
    backup = _backup(setup)
    subject_erase(actor=OFFICER, subject_id=someone.id, reason="erasure request")

    into_source = setup.run("backup", "restore", backup)

    assert into_source.returncode == 2
    assert "is not empty; a backup is restored only into an empty database" in into_source.stderr
    assert "restored" not in into_source.stdout


def test_a_restore_refuses_without_the_erasure_ledger(setup: Setup):
    pro_customer()
    backup = _backup(setup)  # nobody erased yet: the ledger directory does not exist

    refused = setup.on_target("backup", "restore", backup)

    assert refused.returncode == 2
    assert "Without the erasure ledger a restore would bring erased people back" in refused.stderr
    assert setup.target_tables() == 0
    setup.ledger.mkdir()
    assert setup.on_target("backup", "restore", backup).returncode == 0


def _gathered(setup: Setup) -> dict[UUID, tuple[int, int]]:
    """Per person in the restored database: (retrieve copies, archives) their requests keep."""
    steps = setup.target_rows(
        "SELECT r.subject_id, count(*) FROM rights_step s JOIN rights_request r "
        "ON r.id = s.request_id WHERE s.payload IS NOT NULL GROUP BY r.subject_id"
    )
    archives = setup.target_rows(
        "SELECT r.subject_id, count(*) FROM rights_export e JOIN rights_request r "
        "ON r.id = e.request_id WHERE e.archive IS NOT NULL GROUP BY r.subject_id"
    )
    copies = {UUID(str(i)): int(n) for i, n in steps}
    kept = {UUID(str(i)): int(n) for i, n in archives}
    return {i: (copies.get(i, 0), kept.get(i, 0)) for i in {*copies, *kept}}


def test_what_requests_gathered_about_a_person_erased_after_the_backup_is_gone_after_a_restore(
    setup: Setup, django_capture_on_commit_callbacks: Any
):
    def committed(service: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    erased = pro_customer(email="erik.wisman@example.nl")
    kept = pro_customer(email="bea.blijft@example.nl")
    for who in ("erik.wisman@example.nl", "bea.blijft@example.nl"):
        confirmed(committed, ["access"], email=who)  # answered: an archive, not yet downloaded
    carry_out(committed)
    pending = confirmed(committed, ["access"], email="erik.wisman@example.nl")
    step = step_claim_next(request_id=pending.pk, worker="test")
    assert step is not None and step.action == Step.Action.RETRIEVE
    step_execute(step)  # what the vault handed over, sealed, waiting for the answer
    assert Step.objects.get(pk=step.pk).payload is not None
    backup = _backup(setup)

    subject_erase(actor=OFFICER, subject_id=erased.id, reason="erasure request R-8")
    assert not Step.objects.filter(request__subject_id=erased.id, payload__isnull=False).exists()
    assert not Export.objects.filter(request__subject_id=erased.id, archive__isnull=False).exists()
    restored = setup.on_target("backup", "restore", backup)

    assert restored.returncode == 0, restored.stderr
    assert setup.target_erased() == {erased.id: True, kept.id: False}
    assert _gathered(setup) == {kept.id: (0, 1)}
