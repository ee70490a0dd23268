"""Every error the API gives reads as a sentence in the language asked for: Dutch and English
differ (nothing left untranslated) and no sentence is a code."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from waarborg.api.tests.conftest import ApiClient
from waarborg.vault.services import subject_erase
from waarborg.vault.tests.factories import OFFICER, pro_customer

pytestmark = pytest.mark.django_db
CODE = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[a-z]+\.[a-z]+\b")  # role_not_permitted, gate.read

Call = Callable[[ApiClient, dict[str, str]], Any]
S = "/api/v1/subjects"


def _answers(api_for) -> dict[str, Call]:
    subject = pro_customer()
    erased = pro_customer()
    subject_erase(actor=OFFICER, subject_id=erased.id, reason="test")
    sid, gone = subject.id, erased.id
    anon = Client()

    def unauthorized(a: ApiClient, h: dict[str, str]) -> Any:
        return anon.get(
            f"{S}/{sid}?purpose=administration", HTTP_ACCEPT_LANGUAGE=h["HTTP_ACCEPT_LANGUAGE"]
        )

    return {
        "unauthorized": unauthorized,
        "not_found (path)": lambda a, h: a.get("/api/v1/nowhere", **h),
        "method_not_allowed": lambda a, h: a._send("delete", "/api/v1/policy", **h),
        "too_large": lambda a, h: a.post(S, {"x": "y" * 70_000}, **h),
        "invalid_request": lambda a, h: a.post(S, {"product": 1, "extra": True}, **h),
        "invalid_fields": lambda a, h: a.post(
            S, {"product": "aplanner-pro", "fields": {"email": "no", "phone": "1"}}, **h
        ),
        "scope_not_permitted": lambda a, h: a.get(f"{S}/{sid}?purpose=security", **h),
        "unknown_purpose": lambda a, h: a.get(f"{S}/{sid}?purpose=mailing", **h),
        "not_found": lambda a, h: a.get(f"{S}/{uuid.uuid4()}?purpose=administration", **h),
        "erased": lambda a, h: a.patch(f"{S}/{gone}", {"fields": {"city": "Ede"}}, **h),
        "no_consent": lambda a, h: a.get(f"{S}/{sid}?purpose=newsletter", **h),
        "nothing_pending": lambda a, h: a.post(
            f"{S}/{sid}/consents/confirm", {"purpose": "newsletter", "code": "x"}, **h
        ),
        "bad_channel": lambda a, h: a.post(
            f"{S}/{sid}/consents",
            {"purpose": "newsletter", "granted": True, "text_version": "1", "channel": "fax"},
            **h,
        ),
        "not_writable": lambda a, h: a.patch(f"{S}/{sid}", {"fields": {"iban": "x"}}, **h),
    }


def _texts(response: Any) -> list[str]:
    body = response.json()
    assert response.status_code >= 400, body
    assert "code" in body and body.get("message"), body
    return [body["message"], *body.get("fields", {}).values()]


def test_every_api_error_is_a_translated_sentence(api_for):
    api = api_for("administration", "newsletter")
    problems = []
    for name, call in _answers(api_for).items():
        nl = _texts(call(api, {"HTTP_ACCEPT_LANGUAGE": "nl"}))
        en = _texts(call(api, {"HTTP_ACCEPT_LANGUAGE": "en"}))
        for dutch, english in zip(nl, en, strict=True):
            if dutch == english:
                problems.append(f"{name}: not translated: {english!r}")
            for text in (dutch, english):
                if CODE.search(text.replace("e-mail", "")):
                    problems.append(f"{name}: a code in {text!r}")
    assert problems == []
