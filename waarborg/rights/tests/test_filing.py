"""Filing a request: a reference, a mail in the requester's language, the same answer whether
or not the address is on file."""

from __future__ import annotations

import pytest

from waarborg.rights.models import Letter, Request
from waarborg.rights.services import request_confirm, request_file
from waarborg.rights.tests.support import NOT_ON_FILE, ON_FILE, confirm_code, customer, outbox

pytestmark = pytest.mark.django_db


def test_an_address_on_file_gets_a_confirmation_link_in_its_language(committed):
    person = customer()
    request = committed(
        request_file, kinds=["access"], email=ON_FILE, language="en", channel="center"
    )
    assert request.subject_id == person.id
    [message] = outbox()
    assert message.to == [ON_FILE]
    assert request.reference in message.subject
    reference, code = confirm_code(message)
    assert reference == request.reference
    assert "We do not ask for a copy of an identity document" in message.body
    confirmed = request_confirm(reference=reference, code=code)
    assert confirmed.status == Request.Status.OPEN
    assert Letter.objects.get(request=request).sent_at is not None


def test_an_address_not_on_file_is_told_no_data_is_linked(committed):
    request = committed(
        request_file, kinds=["erasure"], email=NOT_ON_FILE, language="en", channel="api"
    )
    assert request.subject_id is None
    assert request.status == Request.Status.AWAITING_CONFIRMATION
    [message] = outbox()
    assert "We hold no personal data linked to this e-mail address" in message.body
    assert "/confirm/" not in message.body
