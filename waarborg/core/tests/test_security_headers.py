"""The headers every answer carries: Content-Security-Policy without inline script or style,
``Cache-Control: no-store`` where personal data is answered, HTTPS (redirect, HSTS) from settings,
and ``waarborg check --deploy`` quiet with the production settings the README documents."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, include, path, reverse

from waarborg.access.services import staff_create, token_create
from waarborg.api.views import api
from waarborg.console import urls as console_urls
from waarborg.core.actors import Actor
from waarborg.vault.tests.factories import pro_customer

ROOT = Path(settings.BASE_DIR)
WAARBORG = Path(sys.executable).with_name("waarborg")
PASSWORD = "a-long-test-password-42"
INLINE = {
    "an inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "a style element": re.compile(r"<style\b", re.I),
    "a style attribute": re.compile(r"\sstyle\s*=", re.I),
    "an event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
}


def _policy(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}


def test_no_template_holds_inline_script_or_style():
    """The policy allows no inline script or style, so no page may need one."""
    found = []
    for template in sorted(ROOT.glob("waarborg/*/templates/**/*.html")):
        if "rights/export/" in str(template):
            continue  # the page inside an access archive: opened from disk, never served by us
        text = template.read_text(encoding="utf-8")
        for what, pattern in INLINE.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(ROOT)}:{line}: {what}")
    assert found == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/privacy", "/console/login", "/api/docs", "/api/v1/policy", "/nowhere"]
)
def test_every_page_and_api_answer_carries_the_strict_policy(client, url):
    policy = _policy(client.get(url))
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in source for sources in policy.values() for source in sources)


@pytest.mark.django_db
def test_only_the_api_docs_may_show_data_images(client):
    """Swagger UI draws its icons as data: images; no other page gets that."""
    assert _policy(client.get("/api/docs"))["img-src"] == ["'self'", "data:"]
    assert _policy(client.get("/privacy"))["img-src"] == ["'self'"]
    assert _policy(client.get("/api/docs/"))["img-src"] == ["'self'"]


@pytest.mark.django_db
def test_the_api_docs_page_loads_only_our_own_files(client):
    page = client.get("/api/docs").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources, page
    assert all(s.startswith("/static/") for s in sources), sources


def _api_calls(subject_id: str) -> list[tuple[str, str, Any]]:
    """Every operation of the API under /api/v1/subjects, with a body where it takes one."""
    document = api.get_openapi_schema(path_prefix="/api/")
    calls = []
    for template, operations in document["paths"].items():
        if not template.startswith("/api/v1/subjects"):
            continue
        url = re.sub(r"\{[a-z_]+\}", subject_id, template)
        for method in operations:
            query = "?purpose=administration&email=nobody@example.nl" if method == "get" else ""
            calls.append((method, url + query, {"purpose": "newsletter"}))
    return calls


@pytest.mark.django_db
def test_every_api_answer_about_subjects_is_no_store():
    subject = str(pro_customer().id)
    token = token_create(actor=Actor.job("t"), system="app", purposes=["administration"]).token
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    calls = _api_calls(subject)
    assert len(calls) >= 8
    for method, url, body in calls:
        answer = getattr(client, method)(url, data=body, content_type="application/json")
        assert answer["Cache-Control"] == "no-store", (method, url, answer.status_code)
    anonymous = Client().get(f"/api/v1/subjects/{subject}?purpose=administration")
    assert anonymous["Cache-Control"] == "no-store"


def _console_urls(subject_id: str) -> list[str]:
    urls = []
    for pattern in console_urls.urlpatterns:
        if isinstance(pattern, URLPattern) and pattern.name:
            # Every other parameter gets a value of its shape; an unknown one answers 404, which
            # must not be cacheable either.
            shapes = {"int": 1, "uuid": subject_id}
            args = {
                name: shapes.get(type(conv).__name__.removesuffix("Converter").lower(), "x")
                for name, conv in pattern.pattern.converters.items()
            }
            urls.append(reverse(f"console:{pattern.name}", kwargs=args))
    return urls


@pytest.mark.django_db
def test_every_console_page_is_no_store_for_staff_and_strangers():
    subject = str(pro_customer().id)
    staff_create(actor=Actor.job("t"), username="po", password=PASSWORD, roles=["privacy_officer"])
    staff = Client()
    assert staff.login(username="po", password=PASSWORD)
    urls = _console_urls(subject)
    assert len(urls) >= 5
    for client in (staff, Client()):
        for url in urls:
            for answer in (client.get(url + "?purpose=administration"), client.post(url, {})):
                assert answer["Cache-Control"] == "no-store", (url, answer.status_code)


def _cacheable(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("hello")
    response["Cache-Control"] = "public, max-age=600"
    return response


urlpatterns = [
    path("console/cacheable", _cacheable),
    path("elsewhere/cacheable", _cacheable),
    path("", include("waarborg.urls")),
]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_where_personal_data_is_answered_a_view_cannot_allow_caching(client):
    assert client.get("/console/cacheable")["Cache-Control"] == "no-store"
    assert client.get("/elsewhere/cacheable")["Cache-Control"] == "public, max-age=600"


def test_static_files_keep_their_own_caching(client):
    answer = client.get("/static/waarborg/site.css")
    assert answer.status_code == 200
    assert "max-age" in answer["Cache-Control"]


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_to_https_and_https_gets_hsts():
    plain = Client().get("/privacy")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/privacy"
    secure = Client().get("/privacy", secure=True)
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def _settings(env: dict[str, str], *names: str) -> subprocess.CompletedProcess[str]:
    """The settings a fresh process reads from ``env`` (the test's own were read at start)."""
    code = "from waarborg import settings as s; print(" + ", ".join(f"s.{n}" for n in names) + ")"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"WAARBORG_DEBUG": "0"}, "True 31536000 True False None"),
        ({"WAARBORG_DEBUG": "1"}, "False 0 True False None"),
        (
            {
                "WAARBORG_DEBUG": "0",
                "WAARBORG_SSL_REDIRECT": "0",
                "WAARBORG_HSTS_SECONDS": "600",
                "WAARBORG_HSTS_INCLUDE_SUBDOMAINS": "0",
                "WAARBORG_HSTS_PRELOAD": "1",
                "WAARBORG_SECURE_PROXY_HEADER": "X-Forwarded-Proto",
            },
            "False 600 False True ('HTTP_X_FORWARDED_PROTO', 'https')",
        ),
    ],
    ids=["production defaults", "debug defaults", "all set"],
)
def test_https_settings_come_from_the_environment(env, expected):
    names = (
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_PROXY_SSL_HEADER",
    )
    done = _settings(env, *names)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WAARBORG_HSTS_SECONDS": "a year"}, "WAARBORG_HSTS_SECONDS must be a whole number"),
        ({"WAARBORG_HSTS_SECONDS": "-1"}, "WAARBORG_HSTS_SECONDS must be between 0 and"),
        ({"WAARBORG_SSL_REDIRECT": "maybe"}, "WAARBORG_SSL_REDIRECT must be 1 or 0"),
        (
            {"WAARBORG_SECURE_PROXY_HEADER": "X-Forwarded-Proto: https"},
            "WAARBORG_SECURE_PROXY_HEADER must be the name of a request header",
        ),
    ],
)
def test_a_wrong_https_setting_stops_the_commands_with_one_line(env, message):
    done = subprocess.run(
        [str(WAARBORG), "check"],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"waarborg: configuration error: {message}")
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.django_db
def test_behind_a_proxy_its_https_header_counts_as_https():
    with override_settings(
        SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
    ):
        proxied = Client().get("/privacy", HTTP_X_FORWARDED_PROTO="https")
        plain = Client().get("/privacy", HTTP_X_FORWARDED_PROTO="http")
    assert proxied.status_code == 200
    assert "Strict-Transport-Security" in proxied
    assert plain.status_code == 301


def _documented_production_env(tmp_path: Path) -> dict[str, str]:
    """The README's production block, with its secret files made and its database this test's."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("`waarborg check --deploy` reports no", 1)[1].split("```sh\n", 1)[1]
    documented = dict(
        line.split("=", 1) for line in block.split("```", 1)[0].splitlines() if "=" in line
    )
    assert {"WAARBORG_DEBUG", "WAARBORG_SECRET_KEY_FILE", "WAARBORG_KEK_FILE"} <= set(documented)
    secret, kek = tmp_path / "secret", tmp_path / "kek"
    secret.write_text(secrets.token_urlsafe(48))
    kek.write_text(Path(os.environ["WAARBORG_KEK_FILE"]).read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAARBORG_")}
    return {
        **env,
        **documented,
        "WAARBORG_SECRET_KEY_FILE": str(secret),
        "WAARBORG_KEK_FILE": str(kek),
        "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
    }


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(WAARBORG), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_check_deploy_is_quiet_with_the_documented_production_settings(tmp_path):
    env = _documented_production_env(tmp_path)
    done = _check_deploy(env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "System check identified no issues (0 silenced)."
    assert done.stderr == ""
    # And it would speak up: without HSTS it names the missing header.
    weaker = _check_deploy({**env, "WAARBORG_HSTS_SECONDS": "0"})
    assert weaker.returncode == 1
    assert "security.W004" in weaker.stderr
