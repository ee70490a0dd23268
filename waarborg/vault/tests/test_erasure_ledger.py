"""Every erasure is recorded in the erasure ledger, outside the database, before it commits; the
ledger can be replayed over a restored database any number of times."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
from django.test import override_settings

from waarborg.audit.models import AuditEntry
from waarborg.core.actors import Actor
from waarborg.vault.erasures import (
    ErasureRecord,
    LedgerError,
    LedgerReading,
    erasure_record,
    erasures_replay,
)
from waarborg.vault.models import Subject
from waarborg.vault.services import VaultError, subject_erase, subject_erase_held
from waarborg.vault.tests.factories import OFFICER, pro_customer

pytestmark = pytest.mark.django_db

RESTORE = Actor.job("backup-restore")


@pytest.fixture
def ledger(tmp_path: Path):
    folder = tmp_path / "erasures"
    with override_settings(WAARBORG_ERASURE_LEDGER=folder):
        yield folder


def _lines(folder: Path) -> list[str]:
    return [line for f in sorted(folder.glob("*.jsonl")) for line in f.read_text().splitlines()]


def test_an_erasure_is_recorded_with_its_id_time_and_audit_entry_and_no_personal_data(ledger):
    subject = pro_customer(name="Erik Wisman", email="erik.wisman@example.nl")

    erased = subject_erase(actor=OFFICER, subject_id=subject.id, reason="erasure request R-3")

    assert erased.erased_at is not None
    [line] = _lines(ledger)
    record = json.loads(line)
    entry = AuditEntry.objects.get(subject_id=subject.id, action="subject.erase")
    assert record == {
        "what": "subject.erase",
        "subject": str(subject.id),
        "at": erased.erased_at.astimezone(dt.UTC).isoformat(),
        "audit_entry": entry.id,
    }
    assert "Wisman" not in line
    assert "erik" not in line


def test_when_the_ledger_cannot_be_written_nothing_is_erased(tmp_path):
    subject = pro_customer(name="Erik Wisman")
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the ledger directory should be")

    with override_settings(WAARBORG_ERASURE_LEDGER=blocked), pytest.raises(VaultError) as refused:
        subject_erase(actor=OFFICER, subject_id=subject.id, reason="erasure request")

    assert refused.value.code == "ledger_unavailable"
    row = Subject.objects.get(id=subject.id)
    assert row.erased_at is None
    assert row.wrapped_dek is not None
    assert not AuditEntry.objects.filter(subject_id=subject.id, action="subject.erase").exists()


def test_a_line_cut_short_is_ended_by_the_next_writer_and_its_subject_still_replayed(ledger):
    cut, after = uuid.uuid4(), uuid.uuid4()
    now = dt.datetime.now(dt.UTC)
    erasure_record(ErasureRecord(uuid.uuid4(), now, 1))
    path = next(ledger.glob("*.jsonl"))
    with path.open("ab") as out:  # a power loss in the middle of a write
        out.write(f'{{"at":"{now.isoformat()}","audit_entry":2,"subject":"{cut}","wh'.encode())
    erasure_record(ErasureRecord(after, now, 3))

    reading = LedgerReading(ledger)
    ids = [record.subject_id for record in reading]

    assert ids[1:] == [cut, after]
    assert reading.damaged == [f"{path.name}:2"]


def test_a_record_of_an_unknown_kind_stops_the_reading(ledger):
    ledger.mkdir()
    (ledger / "erasures-2030-01.jsonl").write_text(
        json.dumps({"what": "subject.forget", "subject": str(uuid.uuid4()), "at": "2030-01-01"})
        + "\n"
    )
    with pytest.raises(LedgerError, match="unknown kind"):
        list(LedgerReading(ledger))


def test_replay_erases_whoever_is_not_yet_erased_and_a_second_replay_changes_nothing(ledger):
    living, erased_before = pro_customer(), pro_customer()
    subject_erase(actor=OFFICER, subject_id=erased_before.id, reason="erasure request")
    when = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    records = [
        ErasureRecord(living.id, when, 40),  # e.g. erased after the backup was made
        ErasureRecord(erased_before.id, when, 41),
        ErasureRecord(uuid.uuid4(), when, 42),  # created after the backup
    ]
    now = dt.datetime.now(dt.UTC)

    first = erasures_replay(actor=RESTORE, records=records, now=now)
    again = erasures_replay(actor=RESTORE, records=records, now=now)

    assert (first.erased, first.already, first.absent) == (1, 1, 1)
    assert (again.erased, again.already, again.absent) == (0, 2, 1)
    row = Subject.objects.get(id=living.id)
    assert (row.wrapped_dek, row.values, row.email_index, row.erased_at) == (None, {}, None, when)
    [entry] = AuditEntry.objects.filter(subject_id=living.id, action="subject.erase")
    assert entry.actor == "job:backup-restore"
    assert entry.detail["ledger_audit_entry"] == "40"
    assert len(_lines(ledger)) == 1  # replay adds nothing to the ledger: it holds them already


def test_an_erasure_that_keeps_the_books_is_recorded_and_replayed_keeping_them(ledger):
    """A paid customer's erasure keeps what art. 52 AWR makes us keep: the ledger says what and
    until when, so a restored backup erases the rest again and keeps (restricted) the books."""
    subject = pro_customer(name="Erik Wisman", email="erik.wisman@example.nl")
    before = Subject.objects.get(id=subject.id)  # the state a backup made now would hold
    until = dt.date(2033, 12, 31)

    gone = subject_erase_held(
        actor=OFFICER, subject_id=subject.id, keep=["name"], held_until=until, reason="R-9"
    )

    [line] = _lines(ledger)
    record = json.loads(line)
    assert (record["keep"], record["until"]) == (["name"], "2033-12-31")
    assert "Wisman" not in line and "erik" not in line
    assert "email" in gone
    # Restore: the backup's row comes back whole; replaying the ledger erases all but the books.
    before.save()
    assert "email" in Subject.objects.get(id=subject.id).values
    records = list(LedgerReading(ledger))
    first = erasures_replay(actor=RESTORE, records=records, now=dt.datetime.now(dt.UTC))
    again = erasures_replay(actor=RESTORE, records=records, now=dt.datetime.now(dt.UTC))
    row = Subject.objects.get(id=subject.id)
    assert set(row.values) == {"name"} and row.email_index is None
    assert row.restricted_at is not None and row.held_until == until and row.erased_at is None
    assert (first.erased, again.erased, again.already) == (1, 0, 1)
