"""Bodies the API cannot use are the caller's mistake (4xx), never a server error.

Every POST and PATCH operation is taken from the API's own OpenAPI document, so an endpoint added
later is walked too. A lone UTF-16 surrogate (JSON ``"\\ud800"``) is valid JSON that Python reads
into a string no UTF-8 encoder takes; it used to reach the vault's cipher and answer 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from waarborg.api.views import api
from waarborg.audit.models import AuditEntry
from waarborg.vault.models import Subject
from waarborg.vault.tests.factories import pro_customer

pytestmark = pytest.mark.django_db

LONE = "\ud800"
SENTENCE = {
    "en": "This text contains an invalid character (a lone surrogate).",
    "nl": "Deze tekst bevat een ongeldig teken (een losstaand surrogaatteken).",
}
Place = tuple[str | int, ...]


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path template, request body schema) of every operation that takes a body."""
    document = api.get_openapi_schema(path_prefix="/api/")
    schemas = document["components"]["schemas"]
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method in ("post", "put", "patch") and "requestBody" in operation:
                ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                found.append((method, path, schemas[ref.rsplit("/", 1)[-1]]))
    return found


OPERATIONS = _operations()


def _sample(schema: dict[str, Any]) -> Any:
    """A value of the schema's shape (not necessarily one the API accepts)."""
    if "anyOf" in schema:
        return _sample(next(s for s in schema["anyOf"] if s.get("type") != "null"))
    kind = schema.get("type")
    if kind == "object" and "properties" in schema:
        return {name: _sample(sub) for name, sub in schema["properties"].items()}
    if kind == "object":
        return {"name": _sample(schema.get("additionalProperties") or {"type": "string"})}
    if kind == "boolean":
        return True
    if schema.get("format") == "uuid":
        return "6f1c0b52-0c53-4c3e-9d55-2a2f4b6b8a11"
    return "x"


def _places(schema: dict[str, Any], value: Any, at: Place = ()) -> Iterator[tuple[Place, Place]]:
    """Every place where a text can stand: (where in the body, how the answer names it). Keys of
    objects count: an unknown key, and a key of a free-form object such as ``fields``."""
    if "anyOf" in schema:
        schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
    if isinstance(value, dict):
        yield (*at, LONE), (*at, "\ufffd", "[key]")
        props = schema.get("properties") or {}
        for key, item in value.items():
            sub = props.get(key) or schema.get("additionalProperties") or {}
            yield from _places(sub, item, (*at, key))
    elif isinstance(value, str):
        yield at, at


def _with_lone(body: Any, where: Place) -> Any:
    """A copy of ``body`` with a lone surrogate at ``where`` (a new key when the place is new)."""
    body = json.loads(json.dumps(body))
    *parents, last = where
    holder = body
    for key in parents:
        holder = holder[key]
    if last in holder:
        holder[last] = f"a{LONE}b"
    else:
        holder[last] = "x"
    return body


def _cases() -> list[Any]:
    cases = []
    for method, path, schema in OPERATIONS:
        body = _sample(schema)
        for where, named in _places(schema, body):
            name = ".".join(str(p) for p in named) or "request"
            label = f"{method} {path}: {name}"
            cases.append(pytest.param(method, path, _with_lone(body, where), name, id=label))
    return cases


def _url(path: str, subject_id: Any) -> str:
    return re.sub(r"\{[a-z_]+\}", str(subject_id), path)


@pytest.fixture
def caller(api_for):
    return api_for("administration", "newsletter", "invoicing", "offers", lang="en")


def test_every_operation_with_a_body_is_walked():
    walked = {(m, p) for m, p, _ in OPERATIONS}
    assert ("post", "/api/v1/subjects") in walked
    assert ("patch", "/api/v1/subjects/{subject_id}") in walked
    assert len(walked) >= 6


@pytest.mark.parametrize("method, path, body, name", _cases())
def test_a_lone_surrogate_anywhere_is_a_422_naming_its_place(caller, method, path, body, name):
    subject = pro_customer()
    url = _url(path, subject.id)
    subjects_before = Subject.objects.count()
    for lang in ("en", "nl"):
        raw = json.dumps(body)  # writes the surrogate as the escape "\ud800"
        answer = caller._send(
            method, url, None, data=raw, content_type="application/json", HTTP_ACCEPT_LANGUAGE=lang
        )
        assert answer.status_code == 422, answer.content
        assert answer.json()["code"] == "invalid_request"
        assert answer.json()["fields"] == {name: SENTENCE[lang]}
    assert Subject.objects.count() == subjects_before


def test_raw_surrogate_bytes_are_refused_like_the_escape(caller):
    """CESU-8 bytes ED A0 80 are not UTF-8, but Python's JSON reader turns them into the same
    lone surrogate."""
    body = b'{"product": "aplanner-free", "fields": {"name": "\xed\xa0\x80", "email": "a@b.nl"}}'
    answer = caller.client.post(
        "/api/v1/subjects", data=body, content_type="application/json", **caller.headers
    )
    assert answer.status_code == 422
    assert answer.json()["fields"] == {"fields.name": SENTENCE["en"]}
    assert not Subject.objects.exists()


def test_a_surrogate_deep_in_a_nested_value_is_found_without_running_out_of_stack(caller):
    body = '{"product": "x", "fields": {"name": ' + "[" * 800 + '"\\ud800"' + "]" * 800 + "}}"
    answer = caller.client.post(
        "/api/v1/subjects", data=body, content_type="application/json", **caller.headers
    )
    assert answer.status_code == 422
    (name,) = answer.json()["fields"]
    assert name.startswith("fields.name.0.0.")


UNDECODABLE: dict[str, tuple[str, bytes]] = {
    "not UTF-8": ("application/json", b'{"purpose": "\xff\xfe"}'),
    "Latin-1 text": ("application/json", '{"purpose": "caf\u00e9"}'.encode("latin-1")),
    "cut off": ("application/json", b'{"purpose": "newsl'),
    "not JSON": ("application/json", b"purpose=newsletter"),
    "binary": ("application/octet-stream", bytes(range(256))),
    "an unknown charset": ("application/json; charset=klingon", b'{"purpose": "\xff"}'),
    "a form": ("application/x-www-form-urlencoded", b"purpose=%FF%FE&x=%ED%A0%80"),
    "a broken multipart": ("multipart/form-data; boundary=zz", b"--zz\r\n\xff\r\n--zz--"),
    "a number too long to read": ("application/json", b'{"purpose": ' + b"9" * 5000 + b"}"),
    "nested too deep": ("application/json", b"[" * 30_000),
    "NaN": ("application/json", b'{"purpose": NaN, "granted": Infinity}'),
    "a bare string": ("application/json", b'"\\ud800"'),
    "an empty body": ("application/json", b""),
    "a NUL": ("application/json", b'{"purpose": "a\\u0000b"}'),
}


@pytest.mark.parametrize("what", list(UNDECODABLE))
def test_a_body_that_cannot_be_read_is_a_4xx_with_a_code_on_every_operation(caller, what):
    content_type, raw = UNDECODABLE[what]
    subject = pro_customer()
    entries_before = AuditEntry.objects.count()
    for method, path, _ in OPERATIONS:
        answer = caller.client.generic(
            method.upper(),
            _url(path, subject.id),
            data=raw,
            content_type=content_type,
            **caller.headers,
        )
        where = f"{method} {path}: {answer.status_code} {answer.content[:200]!r}"
        assert 400 <= answer.status_code < 500, where
        assert answer["Content-Type"].startswith("application/json"), where
        assert answer.json()["code"] in ("bad_request", "invalid_request"), where
    assert AuditEntry.objects.count() == entries_before  # nothing was done, so nothing audited
