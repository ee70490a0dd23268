"""No personal value is stored in the clear: not in the SQLite file, not in a PostgreSQL dump,
not in the audit log. Each check first finds a marker we did store in the clear, so it is
known to be looking at the right bytes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from waarborg.audit.models import AuditEntry, AuditSeal
from waarborg.audit.tests.support import committed_db, on_postgresql, on_sqlite  # noqa: F401
from waarborg.conftest import staff
from waarborg.gate.services import Allowed, gate_fields
from waarborg.policy.selectors import policy_current
from waarborg.vault.models import Subject
from waarborg.vault.services import policy_accept, subject_create, subject_update
from waarborg.vault.tests.factories import SIGNUP, grant

DISTINCT = {
    "name": "Zwaantje Qwerty-Xylofoon",
    "email": "zwaantje.qxylofoon@example.nl",
    "phone": "06 4187 2963",
    "street": "Quokkastraatweg",
    "house_number": "77",
    "postcode": "9981 ZX",
    "city": "Xylozandvoort",
    "gender": "other",
    "iban": "NL44RABO0123456789",
}
UPDATED_CITY = "Hyperboreaskerk"
# Every form a value could take: as given, normalised (E.164, compact IBAN) and lower case.
NEEDLES = sorted(
    {
        *(v for k, v in DISTINCT.items() if k not in ("gender", "house_number")),
        "+31641872963",
        "641872963",
        "ABO0123456789",
        "Qwerty-Xylofoon",
        "qxylofoon",
        UPDATED_CITY,
    }
)
MARKER = "how-marker-7f3e2a"  # stored in the clear on purpose (how an acceptance was given)


def _store() -> Subject:
    subject = subject_create(actor=SIGNUP, product="aplanner-pro", fields=DISTINCT)
    subject_update(actor=SIGNUP, subject_id=subject.id, fields={"city": UPDATED_CITY})
    grant(subject, "newsletter")
    policy_accept(actor=SIGNUP, subject_id=subject.id, digest=policy_current().digest, how=MARKER)
    read = gate_fields(actor=staff("support"), purpose="administration", subject=subject.id)
    assert isinstance(read, Allowed)
    assert read.fields["name"] == DISTINCT["name"]  # it is there, just not in the clear
    return subject


def _found(haystack: bytes) -> list[str]:
    return [n for n in NEEDLES if n.encode() in haystack or n.lower().encode() in haystack]


@on_sqlite
@pytest.mark.usefixtures("committed_db")
def test_no_personal_value_in_the_sqlite_file():
    subject = _store()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path = Path(connection.settings_dict["NAME"])
    data = b"".join(
        p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists()
    )
    assert MARKER.encode() in data
    assert subject.id.hex.encode() in data
    assert _found(data) == []


@on_postgresql
@pytest.mark.usefixtures("committed_db")
def test_no_personal_value_in_pg_dump():
    subject = _store()
    db = connection.settings_dict
    dump = subprocess.run(
        [
            "pg_dump",
            "-h",
            db["HOST"] or "127.0.0.1",
            "-p",
            str(db["PORT"] or 5432),
            "-U",
            db["USER"],
            db["NAME"],
        ],
        capture_output=True,
        timeout=60,
        check=True,
        env={"PGPASSWORD": db["PASSWORD"] or "", "PATH": "/usr/bin:/bin"},
    ).stdout
    assert MARKER.encode() in dump
    assert str(subject.id).encode() in dump
    assert _found(dump) == []


@pytest.mark.django_db
def test_no_personal_value_in_the_audit_log():
    subject = _store()
    from waarborg.audit.services import audit_seal

    audit_seal()
    rows = [json.dumps(e.canonical(), ensure_ascii=False) for e in AuditEntry.objects.all()]
    rows += [f"{s.prev_hash}{s.hash}" for s in AuditSeal.objects.all()]
    text = "\n".join(rows)
    assert str(subject.id) in text
    assert "subject.update" in text and "city" in text  # field names, yes; values, no
    assert _found(text.encode()) == []
