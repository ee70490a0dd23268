"""A run that died holding more claims than the next sweep's batch: every person it then erases
gets an audit entry and an erasure-ledger record, batch by batch."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
import time_machine
from django.utils import timezone

from waarborg.audit.models import AuditEntry
from waarborg.core.actors import Actor
from waarborg.retention.models import RetentionItem, SweepRun
from waarborg.retention.planning import schedule_refresh
from waarborg.retention.sweep import retention_sweep
from waarborg.vault.models import Subject
from waarborg.vault.services import subject_build

pytestmark = pytest.mark.django_db


def test_a_taken_over_run_with_a_smaller_batch_audits_everyone_it_erases(settings, tmp_path):
    settings.WAARBORG_ERASURE_LEDGER = tmp_path / "ledger"
    with time_machine.travel(dt.datetime(2023, 1, 1, tzinfo=dt.UTC), tick=False):
        people = [
            subject_build(
                product="aplanner-free",
                fields={"name": f"Bezoeker {n}", "email": f"t{n}@example.nl"},
                kind="visitor",
            )
            for n in range(4)
        ]
        Subject.objects.bulk_create(people)
    schedule_refresh()
    now = timezone.now()
    # A run on this host whose process is gone, holding every due row.
    dead = SweepRun.objects.create(
        started_at=now, actor="job:test", worker=f"{socket.gethostname()}:4194000", alive_at=now
    )
    RetentionItem.objects.filter(done_at__isnull=True, due_at__lte=now).update(
        claimed_by=dead, claimed_at=now
    )
    run = retention_sweep(actor=Actor.job("test"), batch=1)
    assert run is not None and run.id == dead.id
    erased = set(Subject.objects.filter(erased_at__isnull=False).values_list("id", flat=True))
    assert erased == {p.id for p in people}
    audited = set(
        AuditEntry.objects.filter(action="subject.erase").values_list("subject_id", flat=True)
    )
    assert audited == erased
    ledger = "".join(p.read_text() for p in (tmp_path / "ledger").glob("erasures-*.jsonl"))
    assert all(str(p.id) in ledger for p in people)
