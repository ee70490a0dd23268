"""schemathesis against our own OpenAPI document: no 5xx, every response matches the schema."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from waarborg.access.services import token_create
from waarborg.core.actors import Actor
from waarborg.policy.selectors import policy_current
from waarborg.vault.services import subject_create

app = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def _keep_test_connection():
    """Like Django's test client: a request must not close the connection holding the test's
    transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def known(db: None, _keep_test_connection: None) -> tuple[str, str]:
    """A token with every purpose and a subject that exists, so fuzzed requests get past 404."""
    purposes = list(policy_current().policy.purposes)
    subject = subject_create(
        actor=Actor.job("test"),
        product="aplanner-free",
        fields={"name": "Sanne Visser", "email": "sanne@example.nl"},
    )
    token = token_create(actor=Actor.job("test"), system="fuzz", purposes=purposes).token
    return token, str(subject.id)


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_its_contract(case, known):
    token, subject_id = known
    if case.path_parameters and "subject_id" in case.path_parameters:
        case.path_parameters["subject_id"] = subject_id  # fuzz what is sent about a real subject
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
