"""A database that cannot be reached, in-process: every query fails (or the one that matches) the
way psycopg fails on a server that went away. The real thing, with a PostgreSQL that is stopped
and started, is in ``test_outage_server.py``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.signals import got_request_exception
from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from waarborg.access.services import token_create
from waarborg.audit.models import AuditEntry
from waarborg.core.actors import Actor
from waarborg.core.outage import DatabaseOutageMiddleware
from waarborg.vault.models import Subject

NEW_SUBJECT = {
    "product": "aplanner-free",
    "fields": {"name": "Ruud Onderbreking", "email": "ruud.onderbreking@example.nl"},
}


@contextmanager
def database_gone(when: str = "") -> Iterator[list[str]]:
    """Every query whose SQL contains ``when`` (all of them by default) fails as on a lost
    connection; yields the statements that did run. (Django's execute wrapper: the hot
    statements of ``core.sql`` take Django's cursor too while one is installed.)"""
    ran: list[str] = []

    def execute(run: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if when.lower() in str(sql).lower():
            raise OperationalError("server closed the connection unexpectedly")
        ran.append(str(sql))
        return run(sql, params, many, context)

    with connection.execute_wrapper(execute):
        yield ran


def bearer(*purposes: str) -> dict[str, Any]:
    issued = token_create(actor=Actor.job("test"), system="outage", purposes=list(purposes))
    return {"HTTP_AUTHORIZATION": f"Bearer {issued.token}"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lang", "words"),
    [("nl", "De database is nu niet bereikbaar"), ("en", "The database cannot be reached")],
)
def test_the_api_answers_503_json_in_the_callers_language_when_the_database_is_gone(
    client: Client, lang: str, words: str
) -> None:
    headers = bearer("administration")
    with database_gone():
        response = client.get(
            "/api/v1/subjects?purpose=administration", HTTP_ACCEPT_LANGUAGE=lang, **headers
        )
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response["Retry-After"] == "15"
    body = response.json()
    assert body["code"] == "database_unavailable"
    assert body["message"].startswith(words)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lang", "words"),
    [("nl", "Tijdelijk niet beschikbaar"), ("en", "Temporarily unavailable")],
)
def test_a_public_page_answers_a_plain_503_page_in_the_readers_language(
    client: Client, lang: str, words: str
) -> None:
    with database_gone():
        response = client.get(f"/privacy/versions?lang={lang}")
    page = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "15"
    assert f'<html lang="{lang}">' in page
    assert f"<h1>{words}</h1>" in page
    assert "Traceback" not in page and "OperationalError" not in page


@pytest.mark.django_db
def test_a_service_cut_off_halfway_leaves_nothing_and_the_next_request_is_served(
    client: Client,
) -> None:
    headers = bearer("administration")
    entries = AuditEntry.objects.count()
    # The subject's rows are written, then the connection goes before its audit entry is.
    with database_gone(when='INSERT INTO "audit_auditentry"') as ran:
        cut = client.post(
            "/api/v1/subjects", NEW_SUBJECT, content_type="application/json", **headers
        )
    assert cut.status_code == 503
    assert any(sql.startswith('INSERT INTO "vault_subject"') for sql in ran)
    assert Subject.objects.count() == 0
    assert AuditEntry.objects.count() == entries
    again = client.post("/api/v1/subjects", NEW_SUBJECT, content_type="application/json", **headers)
    assert again.status_code == 201
    assert Subject.objects.count() == 1


def test_a_database_error_outside_the_view_becomes_a_503_too() -> None:
    """E.g. the session saved on the way out: Django has already made a 500 of it."""

    def inner(request: HttpRequest) -> HttpResponse:
        try:
            raise OperationalError("connection refused")
        except OperationalError:
            got_request_exception.send(sender=None, request=request)
        return HttpResponse("Server Error", status=500)

    response = DatabaseOutageMiddleware(inner)(RequestFactory().get("/console/?lang=en"))
    assert response.status_code == 503
    assert "Temporarily unavailable" in response.content.decode()


def test_other_errors_stay_errors() -> None:
    middleware = DatabaseOutageMiddleware(lambda request: HttpResponse(status=500))
    request = RequestFactory().get("/console/")
    assert middleware.process_exception(request, ValueError("a bug")) is None
    assert middleware(request).status_code == 500
