"""The hash chain, its verifier and the append-only triggers."""

from __future__ import annotations

import io
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from waarborg.audit.models import AuditEntry, AuditSeal
from waarborg.audit.selectors import audit_verify
from waarborg.audit.services import GENESIS, audit_record, audit_seal, chain_hash, entry_hash
from waarborg.audit.tests.support import audit_trigger_names, audit_triggers_drop
from waarborg.conftest import staff

pytestmark = pytest.mark.django_db

SUPPORT = staff("support")


def _entries(n: int) -> list[AuditEntry]:
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    for _ in range(n):
        audit_record(actor=SUPPORT, action="test.read", purpose="administration", fields=["name"])
    entries = list(AuditEntry.objects.filter(id__gt=before).order_by("id"))
    assert len(entries) == n
    return entries


def _verify() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_sealer_links_every_committed_entry_into_one_chain():
    entries = _entries(5)
    assert audit_seal() == 5
    seals = list(AuditSeal.objects.order_by("position"))
    assert [s.position for s in seals] == [1, 2, 3, 4, 5]
    assert [s.entry_id for s in seals] == [e.id for e in entries]
    assert seals[0].prev_hash == GENESIS
    for before, after in pairwise(seals):
        assert after.prev_hash == before.hash
    # The hash is SHA-256 over the canonical entry, so recomputing it from the row agrees.
    third = AuditEntry.objects.get(id=entries[2].id)
    assert seals[2].hash == entry_hash(seals[1].hash, 3, third, seals[2].sealed_at)
    assert audit_seal() == 0


def test_verify_exits_0_and_counts_the_chain():
    _entries(7)
    audit_seal()
    code, out, _ = _verify()
    assert code == 0
    assert out.strip() == "7 entries, chain intact"


def test_verify_reports_entries_not_yet_sealed():
    _entries(3)
    audit_seal()
    _entries(2)  # inside the test's transaction the after-commit sealer does not run
    result = audit_verify()
    assert (result.checked, result.unsealed, result.intact) == (3, 2, True)
    code, out, _ = _verify()
    assert code == 0
    assert out.startswith("3 entries, chain intact; 2 entries not yet sealed")


def test_seal_command_seals_what_is_pending():
    _entries(4)
    out = io.StringIO()
    call_command("audit", "seal", stdout=out)
    assert out.getvalue().strip() == "4 entries sealed"
    assert audit_verify().unsealed == 0


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET actor = 'staff:mallory' WHERE id = %s",
        "UPDATE audit_auditentry SET fields = '[\"iban\"]' WHERE id = %s",
        "UPDATE audit_auditentry SET decision = 'allowed' WHERE id = %s",
    ],
    ids=["actor", "fields", "decision"],
)
def test_verify_exits_1_naming_an_entry_altered_in_the_database(sql):
    entries = _entries(6)
    audit_seal()
    victim = entries[3]
    audit_triggers_drop()  # rolled back with the test's transaction
    with connection.cursor() as cursor:
        cursor.execute(sql, [victim.id])
        assert cursor.rowcount == 1
    code, out, err = _verify()
    assert code == 1
    assert out == ""
    assert f"chain broken at entry {victim.id}: hash does not match" in err
    assert "(3 entries before it are intact)" in err


def test_verify_names_the_entry_after_a_removed_seal():
    entries = _entries(5)
    audit_seal()
    audit_triggers_drop()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditseal WHERE position = 3")
    code, _, err = _verify()
    assert code == 1
    assert f"chain broken at entry {entries[3].id}: position 3 is missing" in err


def test_verify_notices_a_rewritten_chain_tail():
    """Recomputing a forged entry's own hash is not enough: the next link no longer matches."""
    entries = _entries(4)
    audit_seal()
    audit_triggers_drop()
    forged = AuditEntry.objects.get(id=entries[1].id)
    forged.actor = "staff:mallory"
    seal = AuditSeal.objects.get(entry_id=forged.id)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET actor = 'staff:mallory' WHERE id = %s", [forged.id]
        )
        cursor.execute(
            "UPDATE audit_auditseal SET hash = %s WHERE position = %s",
            [entry_hash(seal.prev_hash, seal.position, forged, seal.sealed_at), seal.position],
        )
    code, _, err = _verify()
    assert code == 1
    assert f"chain broken at entry {entries[2].id}" in err


def test_both_audit_tables_carry_append_only_triggers():
    names = audit_trigger_names()
    if connection.vendor == "postgresql":
        assert names == {"audit_auditentry_append_only", "audit_auditseal_append_only"}
    else:
        assert names == {
            "audit_auditentry_no_update",
            "audit_auditentry_no_delete",
            "audit_auditseal_no_update",
            "audit_auditseal_no_delete",
        }


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditentry SET actor = 'staff:mallory'",
        "DELETE FROM audit_auditentry",
        "UPDATE audit_auditseal SET hash = 'f00'",
        "DELETE FROM audit_auditseal",
    ],
)
def test_triggers_reject_update_and_delete_in_sql(sql):
    _entries(2)
    audit_seal()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEntry.objects.filter(actor="staff:support-user").count() == 2
    assert AuditSeal.objects.count() == 2
    assert audit_verify().intact


def test_triggers_reject_changes_through_the_orm_too():
    (entry,) = _entries(1)
    audit_seal()
    entry.actor = "staff:mallory"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditSeal.objects.all().delete()
    assert AuditEntry.objects.get(id=entry.id).actor == "staff:support-user"


def test_seal_command_can_keep_running_every_few_seconds(monkeypatch):

    calls = []

    def stop_after_two(seconds):
        calls.append(seconds)
        if len(calls) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr("time.sleep", stop_after_two)
    _entries(3)
    out = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        call_command("audit", "seal", "--every", "0.5", stdout=out)
    assert calls == [0.5, 0.5]
    assert out.getvalue().splitlines()[0] == "3 entries sealed"


def test_a_lone_surrogate_in_what_was_asked_is_stored_and_sealed():
    """A caller's text reaches the log as it was asked for; one that no UTF-8 encoder takes is
    stored with U+FFFD in its place, so neither the INSERT nor the sealer's hash fails."""
    audit_record(
        actor=SUPPORT,
        action="test.read",
        purpose="news\ud800letter",
        fields=["na\udfffme"],
        detail={"asked\ud800": ["\ud800"]},
    )
    assert audit_seal() == 1
    entry = AuditEntry.objects.get()
    assert (entry.purpose, entry.fields) == ("news\ufffdletter", ["na\ufffdme"])
    assert entry.detail == {"asked\ufffd": ["\ufffd"]}
    assert audit_verify().intact


def _rehash(legacy: set[int]) -> None:
    """Rewrite every link's hash; at the positions in ``legacy`` in the form seals had before
    the hash covered the sealing time."""
    audit_triggers_drop()
    prev = GENESIS
    for seal in AuditSeal.objects.order_by("position").select_related("entry"):
        sealed_at = None if seal.position in legacy else seal.sealed_at
        digest = chain_hash(prev, seal.position, seal.entry.canonical(), sealed_at)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE audit_auditseal SET prev_hash = %s, hash = %s WHERE position = %s",
                [prev, digest, seal.position],
            )
        prev = digest


def test_a_chain_begun_before_the_sealing_time_was_hashed_still_verifies():
    _entries(5)
    audit_seal()
    _rehash(legacy={1, 2, 3})
    result = audit_verify()
    assert (result.intact, result.checked) == (True, 5)


def test_a_link_in_the_old_form_after_one_in_the_new_form_is_tampering():
    """Otherwise a changed sealing time could hide behind the old form anywhere in the chain."""
    entries = _entries(5)
    audit_seal()
    _rehash(legacy={1, 2, 4})
    result = audit_verify()
    assert (result.broken_at, result.problem, result.checked) == (
        entries[3].id,
        "hash does not match",
        3,
    )
