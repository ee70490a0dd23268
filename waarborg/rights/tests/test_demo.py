"""`waarborg demo_requests` (run by `make serve`): a request in every state and at every mark."""

from __future__ import annotations

import pytest

from waarborg.rights.demo import demo_requests_seed
from waarborg.rights.models import Request
from waarborg.rights.selectors import queue_counts, request_queue

pytestmark = pytest.mark.django_db


def test_the_demo_files_a_request_in_every_state_and_at_every_mark_once():
    assert demo_requests_seed() == 11
    states = set(Request.objects.values_list("status", flat=True))
    assert states >= {"awaiting_confirmation", "open", "done", "refused", "lapsed"}
    marks = {q.mark for q in request_queue()}
    assert marks >= {"late", "2", "7", ""}
    counts = queue_counts()
    assert (counts.late, counts.two_days, counts.seven_days, counts.unclear) == (1, 1, 1, 1)
    assert Request.objects.filter(extended_until__isnull=False).count() == 1
    assert demo_requests_seed() == 0
    assert Request.objects.count() == 11
