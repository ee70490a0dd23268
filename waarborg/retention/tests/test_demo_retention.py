"""`make serve`'s retention demo: a plan with something swept and a certificate to read."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from waarborg.retention.models import SweepRun

pytestmark = pytest.mark.django_db


def test_the_demo_leaves_one_certificate_and_adds_nothing_when_run_again():
    out = StringIO()
    call_command("demo_retention", stdout=out)
    (run,) = SweepRun.objects.all()
    assert run.finished_at is not None and run.summary["subjects"] == 2
    assert f"certificate {run.id}" in out.getvalue()
    call_command("demo_retention", stdout=out)
    assert SweepRun.objects.count() == 1
    assert "nothing to add" in out.getvalue()
