"""`make serve`'s retention demo: a plan with something swept and a certificate to read."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from waarborg.retention.models import SweepRun

pytestmark = pytest.mark.django_db


def test_the_demo_leaves_one_certificate_and_adds_nothing_when_run_again(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("demo_retention", stdout=out)
    (run,) = SweepRun.objects.all()
    assert run.finished_at is not None and run.summary["subjects"] == 2
    assert f"certificate {run.id}" in out.getvalue()
    call_command("demo_retention", stdout=out)
    assert SweepRun.objects.count() == 1
    assert "nothing to add" in out.getvalue()


def test_outside_development_mode_the_demo_refuses_and_sweeps_nothing(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development mode"):
        call_command("demo_retention")
    assert not SweepRun.objects.exists()
