"""``waarborg audit verify`` run as an operator runs it, against a database filled by ``demo``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from waarborg.audit.models import AuditEntry
from waarborg.audit.tests.support import audit_triggers_drop, committed_db  # noqa: F401
from waarborg.vault.models import Subject

WAARBORG = Path(sys.executable).with_name("waarborg")


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgresql://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def waarborg(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": _database_url()}
    return subprocess.run(
        [str(WAARBORG), *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.usefixtures("committed_db")
def test_audit_verify_passes_on_demo_data_and_names_an_altered_entry():
    demo = waarborg("demo", "--customers", "25")
    assert demo.returncode == 0, demo.stderr
    assert Subject.objects.filter(kind="customer").count() == 25
    total = AuditEntry.objects.count()
    assert total >= 25  # one creation per customer, plus their consents

    ok = waarborg("audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == f"{total} entries, chain intact"

    victim = AuditEntry.objects.order_by("id")[total // 2]
    audit_triggers_drop()  # the fixture puts them back
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET purpose = 'offers' WHERE id = %s", [victim.id])
    broken = waarborg("audit", "verify")
    assert broken.returncode == 1
    assert f"chain broken at entry {victim.id}: hash does not match" in broken.stderr
    assert broken.stdout == ""
