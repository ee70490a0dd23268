"""A real ``waarborg retention sweep`` killed with SIGKILL mid-run, then run again: nothing
erased twice, nothing missed, and one complete certificate."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from waarborg.audit.models import AuditEntry
from waarborg.retention.certificates import certificate_deletions, certificate_verify
from waarborg.retention.models import RetentionItem, SweepRun
from waarborg.retention.planning import schedule_refresh
from waarborg.retention.tests.support import WAARBORG, database_url
from waarborg.vault.models import Subject
from waarborg.vault.services import subject_build

PEOPLE = 300


def _visitors() -> set[str]:
    with time_machine.travel(dt.datetime(2023, 1, 1, tzinfo=dt.UTC), tick=False):
        built = [
            subject_build(
                product="aplanner-free",
                fields={"name": f"Bezoeker {n}", "email": f"b{n}@example.nl"},
                kind="visitor",
            )
            for n in range(PEOPLE)
        ]
        Subject.objects.bulk_create(built)
    schedule_refresh()
    return {str(s.id) for s in built}


def _sweep() -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "WAARBORG_ERASURE_LEDGER": str(settings.WAARBORG_ERASURE_LEDGER),
    }
    return subprocess.Popen(
        [str(WAARBORG), "retention", "sweep", "--batch", "10", "--no-refresh"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _ledger_subjects(ledger: Path) -> list[str]:
    return [
        json.loads(line)["subject"]
        for path in sorted(ledger.glob("erasures-*.jsonl"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]


def test_a_sweep_killed_mid_run_is_finished_by_the_next_one(committed_db: None) -> None:
    people = _visitors()
    first = _sweep()
    assert first.stderr is not None
    for line in first.stderr:
        if "swept" in line:
            break
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=60)
    assert first.returncode == -signal.SIGKILL
    done_before = RetentionItem.objects.filter(done_at__isnull=False).count()
    assert 0 < done_before < RetentionItem.objects.count()
    assert not SweepRun.objects.filter(finished_at__isnull=False).exists()

    second = _sweep()
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err

    assert not RetentionItem.objects.filter(done_at__isnull=True).exists()
    erasures = list(
        AuditEntry.objects.filter(action="subject.erase").values_list("subject_id", flat=True)
    )
    assert sorted(map(str, erasures)) == sorted(people)  # each person exactly once
    assert not Subject.objects.filter(erased_at__isnull=True).exists()
    [run] = SweepRun.objects.all()  # the killed run, taken over and certified
    assert certificate_verify(run)
    deletions = list(certificate_deletions(run))
    assert len(deletions) == RetentionItem.objects.count()
    assert {d["subject"] for d in deletions if d["outcome"] == "erased"} == people
    assert run.summary["subjects"] == PEOPLE
    assert set(_ledger_subjects(Path(str(settings.WAARBORG_ERASURE_LEDGER)))) >= people
    assert f"certificate {run.id}" in out


def test_a_second_worker_passes_the_rows_a_first_one_holds(committed_db: None) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from waarborg.retention.sweep import _lock

    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite claims rows with an UPDATE (test_two_workers_never_claim_the_same_rows)"
        )
    _visitors()
    with transaction.atomic():
        held = {item.id for item in _lock(timezone.now(), 25)}  # the first worker's batch
        second = _sweep()
        _, err = second.communicate(timeout=300)
        assert second.returncode == 0, err
    assert len(held) == 25
    left = set(RetentionItem.objects.filter(done_at__isnull=True).values_list("id", flat=True))
    assert left == held  # the second took everything else, nothing the first held
    third = _sweep()  # the first worker died without finishing: its rows are free again
    assert third.communicate(timeout=300)[0] and third.returncode == 0
    assert not RetentionItem.objects.filter(done_at__isnull=True).exists()
    erasures = AuditEntry.objects.filter(action="subject.erase").values_list("subject_id")
    assert len(erasures) == PEOPLE == len(set(erasures))
