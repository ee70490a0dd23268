"""Eight years of the CMS policy under a time machine: every category goes when the policy says,
a legal hold keeps only what it covers, and the certificates name every deletion."""

from __future__ import annotations

import datetime as dt
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
import time_machine

from waarborg.audit.models import AuditEntry
from waarborg.core.actors import Actor
from waarborg.retention.certificates import certificate_deletions, certificate_verify
from waarborg.retention.models import SweepRun
from waarborg.retention.planning import retention_event_record, schedule_refresh
from waarborg.retention.selectors import retention_plan
from waarborg.retention.sweep import retention_sweep
from waarborg.vault.models import PurposeState, Subject
from waarborg.vault.services import subject_build

AMS = ZoneInfo("Europe/Amsterdam")
T0 = dt.datetime(2027, 3, 10, 12, 0, tzinfo=AMS)
JOB = Actor.job("test-sweep")
SECOND = dt.timedelta(seconds=1)


def _subject(product: str, fields: dict[str, str], kind: str = "customer") -> UUID:
    subject = subject_build(product=product, fields=fields, kind=kind)
    subject.save(force_insert=True)
    return subject.id


def _sweep_at(when: dt.datetime) -> SweepRun | None:
    with time_machine.travel(when, tick=False):
        schedule_refresh()
        return retention_sweep(actor=JOB, batch=2)


def _fields(subject_id: UUID) -> set[str] | None:
    """The fields still held, or None once the subject is crypto-shredded."""
    subject = Subject.objects.get(id=subject_id)
    if subject.erased_at is not None:
        assert subject.wrapped_dek is None and subject.values == {}
        return None
    return set(subject.values)


@pytest.fixture
def people(db: None) -> dict[str, UUID]:
    with time_machine.travel(T0, tick=False):
        free = _subject(
            "aplanner-free",
            {"name": "Anna de Vries", "email": "anna@example.nl", "gender": "female"},
        )
        pro = _subject(
            "aplanner-pro",
            {
                "name": "Bram Jansen",
                "email": "bram@example.nl",
                "phone": "0612345678",
                "street": "Dorpsstraat",
                "house_number": "1",
                "postcode": "1234 AB",
                "city": "Utrecht",
                "iban": "NL91ABNA0417164300",
                "gender": "male",
            },
        )
        reader = _subject(
            "aplanner-free",
            {"name": "Cor Bakker", "email": "cor@example.nl"},
            kind="newsletter_subscriber",
        )
    PurposeState.objects.create(
        subject_id=reader,
        purpose="newsletter",
        consent="withdrawn",
        updated_at=T0 + dt.timedelta(days=60),
    )
    ended = T0.replace(year=2028)
    retention_event_record(subject_id=free, event="end_of_contract", at=ended)
    retention_event_record(subject_id=pro, event="end_of_contract", at=ended)
    retention_event_record(subject_id=pro, event="claim_settled", at=T0.replace(month=7))
    # an invoice of June 2027: the books keep it until 7 years after the end of 2027
    retention_event_record(
        subject_id=pro, event="end_of_financial_year", at=T0.replace(month=6, day=1)
    )
    return {"free": free, "pro": pro, "reader": reader}


ADDRESS = {"street", "house_number", "postcode", "city"}


def test_each_category_goes_exactly_when_the_policy_says_over_eight_years(
    people: dict[str, UUID],
) -> None:
    free, pro, reader = people["free"], people["pro"], people["reader"]
    # newsletter: one month after consent was withdrawn (T0 + 60 days); the name goes, the
    # address stays for the rights purpose (two years from collection)
    withdrawn = T0 + dt.timedelta(days=60)
    newsletter_due = withdrawn.replace(month=withdrawn.month + 1)
    _sweep_at(newsletter_due - SECOND)
    assert _fields(reader) == {"name", "email"}
    _sweep_at(newsletter_due)
    assert _fields(reader) == {"email"}
    # rights: two years after collection
    _sweep_at(T0.replace(year=2029) - SECOND)
    assert _fields(reader) == {"email"}
    _sweep_at(T0.replace(year=2029))
    assert _fields(reader) is None
    # administration: two years after the contract ended (2028-03-10)
    _sweep_at(T0.replace(year=2030) - SECOND)
    assert _fields(free) == {"name", "email", "gender"}
    assert len(_fields(pro) or ()) == 9
    _sweep_at(T0.replace(year=2030))
    assert _fields(free) is None
    # the bookkeeping hold keeps what it covers; everything else of the held person goes on time
    assert _fields(pro) == {"name", "iban"} | ADDRESS
    assert Subject.objects.get(id=pro).restricted_at is not None
    # bookkeeping: seven years after the end of the financial year 2027
    books_due = dt.datetime(2035, 1, 1, tzinfo=AMS)
    _sweep_at(books_due - SECOND)
    assert _fields(pro) == {"name", "iban"} | ADDRESS
    _sweep_at(books_due)
    assert _fields(pro) is None


def test_the_certificates_name_every_deletion_and_match_the_audit_log(
    people: dict[str, UUID],
) -> None:
    for year in range(2027, 2036):
        _sweep_at(dt.datetime(year, 12, 31, tzinfo=AMS))
    removed: dict[UUID, set[str]] = {}
    for entry in AuditEntry.objects.filter(action__in=["subject.erase", "subject.fields_remove"]):
        assert entry.subject_id is not None
        removed.setdefault(entry.subject_id, set()).update(entry.fields)
    certified: dict[UUID, set[str]] = {}
    runs = list(SweepRun.objects.filter(finished_at__isnull=False))
    for run in runs:
        assert certificate_verify(run)
        for deletion in certificate_deletions(run):
            certified.setdefault(UUID(deletion["subject"]), set()).update(deletion["fields"])
    assert set(removed) == set(people.values())
    assert removed == {k: v for k, v in certified.items() if v}
    signed = AuditEntry.objects.filter(action="retention.certificate").count()
    assert signed == len(runs)


def test_the_plan_says_what_is_due_under_which_rule(people: dict[str, UUID]) -> None:
    with time_machine.travel(T0.replace(year=2030), tick=False):
        schedule_refresh()
        lines = retention_plan(at=T0.replace(year=2030))
    plan = {line.purpose: line for line in lines if not line.record}
    assert plan["administration"].due == 2
    assert plan["administration"].counted_from[0] == T0.replace(year=2028)
    assert plan["bookkeeping"].due == 0 and plan["bookkeeping"].running == 1
    assert plan["bookkeeping"].legal_reference == "art. 52 lid 4 AWR"
    # invoices go one by one under the same rule (none here: the books of 2027 were recorded)
    [invoices] = [line for line in lines if line.record == "billing.invoice"]
    assert invoices.purpose == "bookkeeping" and invoices.due == invoices.running == 0


def test_an_invoice_holds_its_customers_books_seven_years_after_its_financial_year(
    db: None,
) -> None:
    from waarborg.billing.models import Invoice

    with time_machine.travel(T0, tick=False):
        customer = _subject(
            "aplanner-pro",
            {
                "name": "Dirk Smit",
                "email": "dirk@example.nl",
                "street": "Kade",
                "house_number": "2",
                "postcode": "3511 AB",
                "city": "Utrecht",
                "iban": "NL91ABNA0417164300",
            },
        )
    Invoice.objects.create(
        number="2027-000001",
        year=2027,
        sequence=1,
        subject_id=customer,
        product="aplanner-pro",
        issued_on=dt.date(2027, 12, 31),
        due_on=dt.date(2028, 1, 30),
        net_cents=1000,
        vat_cents=210,
        total_cents=1210,
        created_at=T0,
    )
    retention_event_record(subject_id=customer, event="end_of_contract", at=T0)
    retention_event_record(subject_id=customer, event="claim_settled", at=T0)
    _sweep_at(T0.replace(year=2029))  # administration and invoicing ended; the books remain
    assert _fields(customer) == {"name", "iban"} | ADDRESS
    books_due = dt.datetime(2035, 1, 1, tzinfo=AMS)  # end of 2027 + 7 years
    _sweep_at(books_due - SECOND)
    assert _fields(customer) == {"name", "iban"} | ADDRESS
    _sweep_at(books_due)
    assert _fields(customer) is None


def test_two_workers_never_claim_the_same_rows(people: dict[str, UUID]) -> None:
    from waarborg.retention.sweep import _claim, _run_take

    when = dt.datetime(2036, 1, 1, tzinfo=AMS)
    with time_machine.travel(when, tick=False):
        schedule_refresh()
        first = SweepRun.objects.create(
            started_at=when, actor="a", worker="elsewhere:1", alive_at=when
        )
        second = _run_take(JOB, when)
        taken_first = {i.id for i in _claim(first, when, 3)}
        taken_second = {i.id for i in _claim(second, when, 100)}
    assert len(taken_first) == 3 and taken_second
    assert not taken_first & taken_second
