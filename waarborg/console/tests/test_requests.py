"""The privacy officer's request pages: the queue by deadline with its marks, one request with
its clock, letters and trail, and the decisions; other roles are refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from waarborg.audit.models import AuditEntry
from waarborg.console.tests.test_console import _login
from waarborg.rights.deadlines import due_date
from waarborg.rights.models import Letter, Request
from waarborg.rights.services import request_file
from waarborg.rights.tests.support import ON_FILE, customer

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
EXPLANATION = "Ik wil weten wat jullie van mij hebben."


def _file(email: str = ON_FILE, kinds: tuple[str, ...] = ("access",), **kw) -> Request:
    return request_file(kinds=list(kinds), email=email, language="nl", channel="center", **kw)


def _open(request: Request) -> Request:
    Request.objects.filter(pk=request.pk).update(status=Request.Status.OPEN)
    request.refresh_from_db()
    return request


@pytest.fixture
def officer() -> Client:
    return _login("privacy_officer")


def _page(client: Client, reference: str, lang: str = "en", query: str = "") -> str:
    url = reverse("console:request", args=[reference]) + query
    answer = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert answer.status_code == 200, answer.content.decode()[:500]
    return answer.content.decode()


@pytest.mark.parametrize("role", ["support", "billing", "marketing", "admin"])
def test_other_roles_get_the_usual_refusal(role):
    client = _login(role)
    request = _file()
    for url in (
        reverse("console:requests"),
        reverse("console:request", args=[request.reference]),
    ):
        answer = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert answer.status_code == 403
        assert "Only the privacy officer handles requests" in answer.content.decode()
    refused = client.post(reverse("console:refuse", args=[request.reference]), {})
    assert refused.status_code == 403
    assert Request.objects.get().status == Request.Status.AWAITING_CONFIRMATION
    assert "/console/requests" not in client.get(reverse("console:home")).content.decode()


def test_an_anonymous_visitor_is_sent_to_the_login():
    answer = Client().get(reverse("console:requests"))
    assert answer.status_code == 302 and "/console/login" in answer["Location"]


def _received_for(low: int, high: int) -> datetime:
    """A moment of receipt whose deadline is ``low`` to ``high`` days from today (weekends and
    holidays move deadlines, so not every count is possible)."""
    today = timezone.localdate()
    for back in range(0, 80):
        day = today - timedelta(days=back)
        if low <= (due_date(day) - today).days <= high:
            return datetime(day.year, day.month, day.day, 12, tzinfo=AMS)
    raise AssertionError(f"no day of receipt gives {low}..{high} days left")


def test_the_queue_sorts_by_deadline_and_marks_seven_and_two_days_and_late(officer):
    made = {
        name: _open(_file(f"{name}@example.nl", received_at=_received_for(*span)))
        for name, span in (
            ("calm", (10, 20)),
            ("late", (-9, -3)),
            ("seven", (4, 7)),
            ("two", (0, 2)),
        )
    }
    html = officer.get(reverse("console:requests"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    order = [html.index(made[n].reference) for n in ("late", "two", "seven", "calm")]
    assert order == sorted(order)
    assert "days late" in html and "badge-bad" in html and "badge-warn" in html
    assert "1 late" in html and "1 with 2 days or fewer left" in html
    assert "1 with 7 days or fewer left" in html
    assert "4 not closed" in html


def test_the_queue_needs_the_same_number_of_queries_for_10_and_200_requests(officer):
    def count(n: int) -> int:
        Request.objects.all().delete()
        for i in range(n):
            _open(_file(f"p{i}@example.nl"))
        officer.get(reverse("console:requests"))  # warm: session, policy
        with CaptureQueriesContext(connection) as queries:
            page = officer.get(reverse("console:requests"))
        assert page.content.decode().count('<th scope="row">') == n
        return len(queries)

    from django.core.cache import cache

    few = count(10)
    cache.clear()  # the filing limit per client is not what is measured here
    many = count(200)
    assert few == many


def test_the_request_page_shows_clock_letters_and_trail_without_the_address(officer):
    customer()
    request = _file(explanation=EXPLANATION)
    html = _page(officer, request.reference)
    assert request.reference in html
    assert "Awaiting confirmation" in html
    assert "Acknowledgement with confirmation link" in html
    assert "Request received" in html  # the trail, in words
    assert ON_FILE not in html and EXPLANATION not in html
    assert "rights.file" not in html


def test_opening_the_texts_shows_them_and_is_audited(officer):
    customer()
    request = _file(explanation=EXPLANATION)
    before = AuditEntry.objects.filter(action="rights.read").count()
    html = _page(officer, request.reference, query="?show=texts")
    assert ON_FILE in html and EXPLANATION in html
    read = AuditEntry.objects.filter(action="rights.read").order_by("-id")[0]
    assert AuditEntry.objects.filter(action="rights.read").count() == before + 1
    assert read.actor == "staff:privacy_officer"
    assert read.detail == {"request": request.reference}
    assert ON_FILE not in str(read.detail) + str(read.fields)
    assert "Opened the requester" in _page(officer, request.reference)


def test_an_unclear_request_is_classified_on_its_page(officer):
    request = _open(_file(kinds=("unclear",)))
    html = _page(officer, request.reference)
    assert "Which rights is this request about?" in html
    url = reverse("console:classify", args=[request.reference])
    empty = officer.post(url, {}, HTTP_ACCEPT_LANGUAGE="en")
    assert empty.status_code == 400
    assert "Choose one or more of the rights listed." in empty.content.decode()
    done = officer.post(url, {"kinds": ["erasure", "objection"]})
    assert done.status_code == 303
    request.refresh_from_db()
    assert request.kinds == ["erasure", "objection"]
    after = officer.get(done["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Saved which rights" in after
    assert "Which rights is this request about?" not in after


def test_extending_needs_a_reason_and_sends_the_letter(officer, django_capture_on_commit_callbacks):
    customer()
    request = _open(_file())
    url = reverse("console:extend", args=[request.reference])
    html = _page(officer, request.reference)
    assert "Extend the deadline" in html
    without = officer.post(url, {"reason": "  "}, HTTP_ACCEPT_LANGUAGE="en")
    assert without.status_code == 400
    assert "This field is required." in without.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert officer.post(url, {"reason": "Many systems."}).status_code == 303
    request.refresh_from_db()
    assert request.extended_until is not None
    letter = Letter.objects.get(request=request, kind=Letter.Kind.EXTENSION)
    assert letter.sent_at is not None
    html = _page(officer, request.reference)
    assert "it can be extended only once" in html
    assert "Extension of the deadline" in html


def test_after_the_first_month_the_page_says_extension_is_no_longer_possible(officer):
    received = timezone.now() - timedelta(days=40)
    request = _open(_file(received_at=received))
    html = _page(officer, request.reference)
    assert "can no longer be extended" in html
    assert 'name="reason"' not in html
    answer = officer.post(
        reverse("console:extend", args=[request.reference]),
        {"reason": "Late."},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 400
    assert "it can no longer be extended" in answer.content.decode()


def test_refusing_needs_grounds_and_reasons_and_closes_the_request(officer):
    request = _open(_file())
    url = reverse("console:refuse", args=[request.reference])
    bad = officer.post(url, {"grounds": "boring", "reasons": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400
    assert "manifestly unfounded or as excessive" in bad.content.decode()
    done = officer.post(url, {"grounds": "excessive", "reasons": "The tenth this week."})
    assert done.status_code == 303
    request.refresh_from_db()
    assert request.status == Request.Status.REFUSED
    html = _page(officer, request.reference)
    assert "Excessive" in html or "excessive" in html
    assert "Refuse the request" not in html
    assert "Refused the request" in html  # in the trail


def test_an_unknown_reference_is_a_plain_404(officer):
    answer = officer.get(reverse("console:request", args=["R-222222"]), HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 404
    assert "There is no request with this reference." in answer.content.decode()


def test_the_request_pages_speak_dutch(officer):
    request = _open(_file(kinds=("unclear",)))
    queue = officer.get(reverse("console:requests"), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Verzoeken" in queue
    html = _page(officer, request.reference, lang="nl")
    assert "Besluiten" in html and "Geschiedenis" in html
