"""Cookie banner benchmark: what a visitor downloads before the banner can show.

- ``banner.script.gzip``: ``waarborg/consent/static/consent/banner.js`` compressed with gzip
  (level 9, as a web server or CDN would send it) vs its raw size. Target (issue 12): under
  10 kB gzipped, shown in the note; no framework, no build step.
- ``banner.stylesheet.gzip``: its stylesheet ``banner.css``, the same way.
- ``banner.config.gzip``: the JSON the script fetches (``/privacy/cookies/banner.json``, Dutch,
  the CMS policy) through Django's test Client, the same way.

Sizes, not timings: one measurement each. Run: ``python -m bench.banner_bench``.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, Entry, django_setup, report

STATIC = ROOT / "waarborg" / "consent" / "static" / "consent"
TARGET = 10_000  # bytes, gzipped: "under 10 kB"


def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def size_entry(name: str, data: bytes, *, target: int | None = None) -> Entry:
    packed = gzipped(data)
    note = "gzip vs raw"
    if target is not None:
        verdict = "ok" if packed < target else "OVER"
        note = f"gzip vs raw; target < {target / 1000:g} kB gzipped: {verdict}"
    return Entry(name, packed, "bytes", len(data), note=note)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="accepted for bench/run.py; no effect")
    parser.parse_args(argv)
    entries = [
        size_entry("banner.script.gzip", (STATIC / "banner.js").read_bytes(), target=TARGET),
        size_entry("banner.stylesheet.gzip", (STATIC / "banner.css").read_bytes()),
    ]
    with tempfile.TemporaryDirectory(prefix="waarborg-bench-banner-") as tmp:
        django_setup(f"sqlite:///{Path(tmp) / 'banner.sqlite3'}")
        from django.db import connections
        from django.test import Client

        answer = Client().get("/privacy/cookies/banner.json?lang=nl")
        assert answer.status_code == 200, answer.status_code
        entries.append(size_entry("banner.config.gzip", answer.content))
        connections.close_all()
    report("cookie banner (sizes)", entries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
