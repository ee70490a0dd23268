"""Many writers at once: every audited call commits, and the chain stays one straight line."""

from __future__ import annotations

import logging
import threading

import pytest
from django.db import connection

from waarborg.audit.models import AuditEntry, AuditSeal
from waarborg.audit.selectors import audit_verify
from waarborg.audit.services import GENESIS, audit_seal
from waarborg.audit.tests.support import committed_db, on_postgresql  # noqa: F401
from waarborg.conftest import staff
from waarborg.gate.services import Allowed, gate_fields
from waarborg.vault.services import subject_update
from waarborg.vault.tests.factories import SIGNUP, pro_customer

THREADS = 8
ROUNDS = 12


@on_postgresql
@pytest.mark.usefixtures("committed_db")
def test_chain_stays_linear_with_concurrent_writers(caplog):
    caplog.set_level(logging.WARNING)
    subjects = [pro_customer() for _ in range(THREADS)]
    before = AuditEntry.objects.count()
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            start.wait()
            for i in range(ROUNDS):
                got = gate_fields(
                    actor=staff("support", f"agent-{n}"),
                    purpose="administration",
                    subject=subjects[n].id,
                )
                assert isinstance(got, Allowed)
                subject_update(
                    actor=SIGNUP, subject_id=subjects[n].id, fields={"city": f"Stad {n}-{i}"}
                )
        except BaseException as exc:  # reported to the main thread below
            failures.append(exc)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    # The last writers' sealers may have found the lock taken; one more pass seals the rest. A
    # whole scan: an entry that committed after later ones were sealed lies below the sealed ids,
    # where a plain run looks only every SEAL_LATE_EVERY seconds.
    audit_seal(scan_all=True)

    total = before + THREADS * ROUNDS * 2
    assert AuditEntry.objects.count() == total
    seals = list(
        AuditSeal.objects.order_by("position").values_list("position", "prev_hash", "hash")
    )
    assert [p for p, _, _ in seals] == list(range(1, total + 1))
    prevs = [prev for _, prev, _ in seals]
    assert prevs == [GENESIS] + [h for _, _, h in seals[:-1]]
    assert len(set(prevs)) == total  # no fork: no hash is the parent of two entries
    result = audit_verify()
    assert (result.intact, result.checked, result.unsealed) == (True, total, 0)
    # The sealers ran after each commit; none of them failed (a failure is logged, not raised).
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
