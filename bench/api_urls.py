"""The project's URLs plus the floor of an audited read, for ``bench.api_bench``.

``ping`` is a bare ninja endpoint (the baseline). Two more endpoints do only the database work
an audited read cannot avoid, by hand and with no gate, token, throttle or decryption:
``read-and-log`` runs the gate's subject query and one autocommitted audit INSERT, ``log`` the
INSERT alone; ``read-open-and-log`` adds the decryption of the values (no token, no gate).
Whatever the gate costs comes on top of them, so they show how close to the bare endpoint any
audited read can get on this machine."""

from __future__ import annotations

from uuid import UUID

from django.db import connection
from django.http import HttpRequest
from django.urls import path
from ninja import NinjaAPI

from waarborg.gate.decrypt import open_values
from waarborg.gate.fetch import subject_with_state
from waarborg.urls import urlpatterns as project_urlpatterns

_SELECT = (
    'SELECT s.id, s.kind, s.product, s."values", s.wrapped_dek, s.kek_id, s.restricted_at, '
    "s.erased_at, st.id, st.consent, st.objected, st.compelling_grounds "
    "FROM vault_subject s LEFT JOIN vault_purposestate st "
    "ON st.subject_id = s.id AND st.purpose = %s WHERE s.id = %s"
)
_INSERT = (
    "INSERT INTO audit_auditentry "
    "(at, actor, subject_id, purpose, action, fields, decision, reason, detail) "
    "VALUES (now(), 'bench:floor', %s, 'administration', 'bench.floor', '[]', 'allowed', '', '{}')"
)

floor = NinjaAPI(urls_namespace="bench-floor", docs_url=None, openapi_url=None)


@floor.get("/read-and-log")
def read_and_log(request: HttpRequest, subject: UUID) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(_SELECT, ["administration", subject])
        cursor.fetchone()
        cursor.execute(_INSERT, [subject])
    return {"ok": "yes"}


@floor.get("/read-open-and-log")
def read_open_and_log(request: HttpRequest, subject: UUID) -> dict[str, object]:
    row = subject_with_state(subject, "administration")
    assert row is not None
    values = open_values(row[0], list(row[0].values))
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, [subject])
    return {"id": str(subject), "fields": values}


@floor.get("/ping")
def ping(request: HttpRequest) -> dict[str, str]:
    """A bare endpoint returning a constant: the baseline of the API benchmark."""
    return {"ok": "yes"}


@floor.get("/log")
def log(request: HttpRequest, subject: UUID) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, [subject])
    return {"ok": "yes"}


# First: the project ends with a catch-all that answers 404 for every unknown page.
urlpatterns = [path("bench/floor/", floor.urls), *project_urlpatterns]
