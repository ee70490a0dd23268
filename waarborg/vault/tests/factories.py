"""Plain factory functions for vault tests (and the gate and audit tests that need subjects)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from typing import Any

from django.db import connection

from waarborg.conftest import staff, system
from waarborg.core.actors import Actor
from waarborg.policy.selectors import policy_current
from waarborg.vault.ledger import consent_confirm, consent_record, grounds_record, objection_record
from waarborg.vault.models import Subject
from waarborg.vault.services import subject_create

SIGNUP = system("administration", "invoicing", name="signup-form")
OFFICER = staff("privacy_officer")
_serial = count(1)

# The values every pro customer gets unless a test says otherwise; cleaned forms in CLEAN.
PRO = {
    "name": "Annelies de Vries",
    "email": "annelies.devries@example.nl",
    "phone": "06 1234 5678",
    "street": "Keizersgracht",
    "house_number": "12a",
    "postcode": "1015cs",
    "city": "Amsterdam",
    "gender": "female",
    "iban": "nl91 abna 0417 1643 00",
}
CLEAN = {
    **PRO,
    "phone": "+31612345678",
    "postcode": "1015 CS",
    "iban": "NL91ABNA0417164300",
}


def pro_fields(**changes: Any) -> dict[str, Any]:
    """Every field of the paid product, with a unique e-mail address per call."""
    n = next(_serial)
    fields: dict[str, Any] = {**PRO, "email": f"annelies.devries+{n}@example.nl", **changes}
    return {k: v for k, v in fields.items() if v is not None}


def free_fields(**changes: Any) -> dict[str, Any]:
    n = next(_serial)
    fields: dict[str, Any] = {"name": "Bram Jansen", "email": f"bram+{n}@example.nl", **changes}
    return {k: v for k, v in fields.items() if v is not None}


def pro_customer(actor: Actor = SIGNUP, **changes: Any) -> Subject:
    return subject_create(actor=actor, product="aplanner-pro", fields=pro_fields(**changes))


def free_customer(actor: Actor = SIGNUP, *, kind: str = "customer", **changes: Any) -> Subject:
    return subject_create(
        actor=actor, product="aplanner-free", fields=free_fields(**changes), kind=kind
    )


def grant(subject: Subject, purpose: str, *, channel: str = "web") -> None:
    """Consent in force: given and, where the purpose asks for double opt-in, confirmed."""
    state = consent_record(
        actor=SIGNUP,
        subject_id=subject.id,
        purpose=purpose,
        granted=True,
        text_version="consent-text-3",
        channel=channel,
    )
    rules = policy_current().policy.purposes[purpose].consent
    if rules is not None and rules.double_opt_in:
        code = state.confirmation_code
        consent_confirm(actor=SIGNUP, subject_id=subject.id, purpose=purpose, code=code)


def grant_by_email(subject: Subject, purpose: str, *, confirm: bool) -> str:
    """Consent given by e-mail: pending until the subject follows the link (double opt-in).
    Returns the code of that link."""
    state = consent_record(
        actor=SIGNUP,
        subject_id=subject.id,
        purpose=purpose,
        granted=True,
        text_version="consent-text-3",
        channel="email",
    )
    if confirm:
        code = state.confirmation_code
        consent_confirm(actor=SIGNUP, subject_id=subject.id, purpose=purpose, code=code)
    return state.confirmation_code


def withdraw(subject: Subject, purpose: str) -> None:
    consent_record(
        actor=SIGNUP,
        subject_id=subject.id,
        purpose=purpose,
        granted=False,
        text_version="consent-text-3",
        channel="web",
    )


def object_to(subject: Subject, purpose: str) -> None:
    objection_record(actor=SIGNUP, subject_id=subject.id, purpose=purpose, note="by e-mail")


def override(subject: Subject, purpose: str) -> None:
    grounds_record(
        actor=OFFICER,
        subject_id=subject.id,
        purpose=purpose,
        grounds="Account used in an ongoing card-fraud investigation (case 2026-17).",
    )


def key_bytes(value: bytes | memoryview | None) -> bytes:
    """A BinaryField value as bytes (drivers return memoryview); it must be present."""
    assert value is not None
    return bytes(value)


@contextmanager
def audit_inserts_fail() -> Iterator[None]:
    """A trigger that makes every audit INSERT fail, for proving a change and its audit entry
    share one transaction. Created and dropped inside the test's transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION test_audit_down() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'audit log unavailable'; END; $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER test_audit_down BEFORE INSERT ON audit_auditentry "
                "FOR EACH ROW EXECUTE FUNCTION test_audit_down()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER test_audit_down BEFORE INSERT ON audit_auditentry "
                "BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("DROP TRIGGER test_audit_down ON audit_auditentry")
                cursor.execute("DROP FUNCTION test_audit_down()")
            else:
                cursor.execute("DROP TRIGGER test_audit_down")
