"""Each right carried out end to end: from a confirmed request, through its steps in the
background, to the letter the person receives."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

from waarborg.core.errors import Refusal
from waarborg.rights.exports import export_download
from waarborg.rights.models import Request, Step
from waarborg.rights.tests.support import carry_out, confirmed, customer, link, outbox, pro

pytestmark = pytest.mark.django_db


def _zip(reference: str, code: str) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(export_download(reference=reference, code=code).data))


def test_access_mails_a_link_to_a_zip_with_the_data_its_purposes_history_and_access_log(committed):
    pro()
    request = confirmed(committed, ["access"], language="en")
    assert [s.action for s in request.steps.all()] == ["retrieve", "answer"]
    carry_out(committed)
    answer = outbox()[-1]
    assert answer.subject == f"Your privacy request {request.reference}: our answer"
    reference, code = link(answer)
    archive = _zip(reference, code)
    page = archive.read("index.html").decode()
    assert "Annelies de Vries" in page and "Keizersgracht" in page
    assert "Statutory bookkeeping" in page and "Autoriteit Persoonsgegevens" in page
    data = json.loads(archive.read("data.json"))
    assert data["values"]["iban"] == "NL91ABNA0417164300"
    log = list(csv.DictReader(io.StringIO(archive.read("access_log.csv").decode())))
    assert {"subject.create", "gate.read"} <= {e["action"] for e in log}
    assert {e["who"] for e in log} >= {"system:signup-form", "job:rights_steps"}
    with pytest.raises(Refusal) as again:
        export_download(reference=reference, code=code)
    assert again.value.code == "bad_link"
    assert Request.objects.get(pk=request.pk).status == Request.Status.DONE


def test_erasure_of_a_paid_customer_keeps_the_books_restricted_and_says_until_when(committed):
    subject = pro()
    confirmed(committed, ["erasure"], language="nl")
    carry_out(committed)
    answer = outbox()[-1].body
    assert "bewaarplicht" in answer.lower(), answer
    assert "Autoriteit Persoonsgegevens" in answer
    steps = Step.objects.filter(action="erase")
    assert [s.status for s in steps] == ["done"]
    subject.refresh_from_db()
    assert subject.restricted_at is not None and subject.erased_at is None
    assert sorted(subject.values) == ["city", "house_number", "iban", "name", "postcode", "street"]


def test_erasure_of_a_free_customer_shreds_everything(committed):
    subject = customer()
    confirmed(committed, ["erasure"], language="en")
    carry_out(committed)
    subject.refresh_from_db()
    assert subject.erased_at is not None and subject.values == {}
    assert "We erased your personal data." in outbox()[-1].body


def test_an_erasure_empties_what_other_requests_gathered_but_answers_its_own_access(committed):
    from waarborg.rights.models import Export

    pro()
    earlier = confirmed(committed, ["access"], language="en")
    carry_out(committed)
    assert Export.objects.get(request=earlier).archive is not None
    request = confirmed(committed, ["erasure", "access"], language="en")
    carry_out(committed)
    assert Export.objects.get(request=earlier).archive is None  # gone with the erasure
    from waarborg.audit.models import AuditEntry

    cleared = AuditEntry.objects.filter(action="rights.copies_cleared")
    assert list(cleared.values_list("subject_id", flat=True)) == [earlier.subject_id]
    reference, code = link(outbox()[-1])
    assert reference == request.reference
    page = _zip(reference, code).read("index.html").decode()
    assert "Annelies de Vries" in page  # handed over as asked, gathered before the erasure
    assert not Step.objects.filter(payload__isnull=False).exists()
