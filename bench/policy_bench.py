"""Policy benchmarks: loading and validating the policy file, and rendering the statement.

- ``policy.load_validate``: ``policy_read(policies/cms.yaml)`` (parse with line numbers, pydantic
  validation, cross-reference checks, canonical digest) vs a plain ``yaml.safe_load`` of the same
  text.
- ``policy.statement.render``: building the statement's context and rendering
  ``policy/statement.html`` (Dutch) vs rendering a plain Django template (a loop of paragraphs)
  whose output has the same size.
- ``policy.statement.request``: ``GET /privacy`` through Django's test Client (middleware, view,
  version lookup, template) vs ``GET`` of a bench page that renders the plain template of the same
  size through the same middleware.
- ``policy.statement.request.revalidate_share``: the part of one request spent in
  ``Policy.model_validate(version.document)`` (the view re-validates the stored policy on every
  request), as a share of the whole request.

Run: ``python -m bench.policy_bench [--quick]`` (``bench/run.py`` does this in a subprocess).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Entry, compare, django_setup, report, say, timing

PARAGRAPH = (
    "Wij verwerken persoonsgegevens alleen voor het doel waarvoor u ze gaf, bewaren ze niet "
    "langer dan nodig en geven ze alleen door als de wet of een overeenkomst dat toestaat. "
    "U kunt ons altijd vragen welke gegevens wij van u hebben en waarvoor wij ze gebruiken."
)
PLAIN_TEMPLATE = (
    '<!DOCTYPE html>\n<html lang="{{ lang }}"><head><meta charset="utf-8">'
    "<title>{{ title }}</title></head>\n<body><main>\n"
    "{% for p in paragraphs %}<p>{{ p }}</p>\n{% endfor %}"
    "</main></body></html>\n"
)


def plain_paragraphs(size: int, *, title: str, lang: str) -> list[str]:
    """Paragraphs that make ``PLAIN_TEMPLATE`` render to exactly ``size`` bytes (ASCII text)."""
    from django.template import engines

    template = engines["django"].from_string(PLAIN_TEMPLATE)
    empty = len(template.render({"paragraphs": [], "title": title, "lang": lang}).encode())
    per = len(f"<p>{PARAGRAPH}</p>\n")
    room = max(size - empty, 0)
    count, rest = divmod(room, per)
    paragraphs = [PARAGRAPH] * count
    if rest > len("<p></p>\n"):
        paragraphs.append(("x" * rest)[: rest - len("<p></p>\n")])
    return paragraphs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args(argv)
    rounds = 7 if args.quick else 25

    with tempfile.TemporaryDirectory(prefix="waarborg-bench-policy-") as tmp:
        django_setup(f"sqlite:///{Path(tmp) / 'policy.sqlite3'}")
        entries = _run(rounds)
        from django.db import connections

        connections.close_all()
    report("policy benchmarks", entries)
    return 0


def _run(rounds: int) -> list[Entry]:
    import yaml
    from django.conf import settings
    from django.core.management import call_command
    from django.template import engines
    from django.template.loader import render_to_string
    from django.test import Client
    from django.test.utils import override_settings
    from django.utils import translation

    from bench import policy_urls
    from waarborg.policy.documents import statement_context
    from waarborg.policy.loader import policy_read
    from waarborg.policy.schema import Policy
    from waarborg.policy.selectors import policy_current
    from waarborg.policy.services import policy_version_record

    entries: list[Entry] = []
    path = Path(settings.WAARBORG_POLICY)
    text = path.read_text(encoding="utf-8")

    say(f"policy: load+validate {path.name} ({len(text):,} bytes), {rounds} rounds")
    loaded = policy_read(path)
    pair = compare(
        lambda: policy_read(path), lambda: yaml.safe_load(text), rounds=max(rounds // 2, 5)
    )
    entries.append(timing("policy.load_validate", pair, note="vs yaml.safe_load of the text"))

    call_command("migrate", verbosity=0, interactive=False)
    version, _ = policy_version_record(loaded=policy_current())
    lang = "nl"

    def statement_render() -> str:
        context: dict[str, Any] = statement_context(loaded.policy, lang)
        short = version.digest[:12]
        context.update(version=version, short=short, center_url=None, in_force=True)
        with translation.override(lang):
            return render_to_string("policy/statement.html", context)

    rendered = statement_render().encode()
    title = loaded.policy.title.get(lang)
    plain = engines["django"].from_string(PLAIN_TEMPLATE)
    plain_context = {
        "paragraphs": plain_paragraphs(len(rendered), title=title, lang=lang),
        "title": title,
        "lang": lang,
    }

    def plain_render() -> str:
        with translation.override(lang):
            return plain.render(plain_context)

    size = len(plain_render().encode())
    say(f"policy: statement render, {len(rendered):,} bytes vs plain {size:,} bytes")
    pair = compare(statement_render, plain_render, rounds=rounds, inner=3)
    entries.append(
        timing(
            "policy.statement.render",
            pair,
            note=f"vs plain template, same size ({len(rendered) // 1024} KiB)",
        )
    )

    # No setup_test_environment(): its template instrumentation would slow both sides.
    client = Client()
    with override_settings(ROOT_URLCONF="bench.policy_urls"):
        page = client.get("/privacy", HTTP_ACCEPT_LANGUAGE=lang)
        assert page.status_code == 200, page.status_code
        policy_urls.PLAIN["template"] = plain
        policy_urls.PLAIN["context"] = {
            "paragraphs": plain_paragraphs(len(page.content), title=title, lang=lang),
            "title": title,
            "lang": lang,
        }
        other = client.get("/bench/plain", HTTP_ACCEPT_LANGUAGE=lang)
        assert other.status_code == 200, other.status_code
        say(
            f"policy: GET /privacy, {len(page.content):,} bytes vs GET /bench/plain "
            f"{len(other.content):,} bytes"
        )

        def get_statement() -> object:
            return client.get("/privacy", HTTP_ACCEPT_LANGUAGE=lang)

        def get_plain() -> object:
            return client.get("/bench/plain", HTTP_ACCEPT_LANGUAGE=lang)

        request = compare(get_statement, get_plain, rounds=rounds, inner=3)
        entries.append(
            timing("policy.statement.request", request, note="GET /privacy vs plain page")
        )

        document = version.document
        revalidate = compare(
            lambda: Policy.model_validate(document), get_statement, rounds=rounds, inner=3
        )
        entries.append(
            timing(
                "policy.statement.request.revalidate_share",
                revalidate,
                note="Policy.model_validate per request / whole request",
            )
        )
    return entries


if __name__ == "__main__":
    sys.exit(main())
