"""The worker sweeps retention on a schedule: in its first round, then once per SWEEP_EVERY."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from django.utils import timezone

from waarborg.core.actors import Actor
from waarborg.retention.models import SweepRun
from waarborg.retention.planning import retention_event_record
from waarborg.rights.worker import Housekeeping
from waarborg.vault.models import Subject
from waarborg.vault.services import subject_create

pytestmark = pytest.mark.django_db


def _former_customer(email: str) -> UUID:
    """A customer of the free product whose contract ended over two years ago."""
    made = subject_create(
        actor=Actor.job("test"), product="aplanner-free", fields={"name": "Oud", "email": email}
    ).id
    now = timezone.now()
    Subject.objects.filter(id=made).update(created_at=now - timedelta(days=3 * 365))
    ended = now - timedelta(days=2 * 365 + 40)
    retention_event_record(subject_id=made, event="end_of_contract", at=ended)
    return made


def test_the_first_round_sweeps_and_the_next_waits_for_the_hour():
    first = _former_customer("oud.een@example.nl")
    house = Housekeeping()
    done = house.run(worker="w1")
    assert done["swept"] > 0
    assert Subject.objects.get(id=first).erased_at is not None
    assert SweepRun.objects.filter(finished_at__isnull=False).count() == 1
    second = _former_customer("oud.twee@example.nl")
    house.run(worker="w1")  # ten seconds later, say: not an hour
    assert Subject.objects.get(id=second).erased_at is None
    assert SweepRun.objects.count() == 1
    house.swept_at = (house.swept_at or 0.0) - 3600  # an hour on
    house.run(worker="w1")
    assert Subject.objects.get(id=second).erased_at is not None
    assert SweepRun.objects.filter(finished_at__isnull=False).count() == 2
