"""Every text of the software has its Dutch: ``makemessages`` finds nothing untranslated in any
app's catalogue, and the compiled catalogue says what the ``.po`` says."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR) / "waarborg"
APPS = sorted(p.parent.name for p in ROOT.glob("*/locale"))
DJANGO_ADMIN = Path(sys.executable).with_name("django-admin")

pytestmark = pytest.mark.skipif(
    shutil.which("xgettext") is None, reason="GNU gettext is not installed (make install adds it)"
)


def _field(block: str, name: str) -> str | None:
    """The text of one field of an entry (``msgid``, ``msgctxt``, ``msgstr[0]``...), joined."""
    found = re.search(rf"^{re.escape(name)} (\"(?:.*)\"(?:\n\".*\")*)", block, re.M)
    if found is None:
        return None
    raw = "".join(re.findall(r'"(.*)"', found.group(1)))
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(0)), raw)


def _blocks(po: str) -> list[dict[str, str | None]]:
    found = []
    for block in po.split("\n\n"):
        block = "\n".join(line for line in block.splitlines() if not line.startswith("#~"))
        msgid = _field(block, "msgid")
        if not msgid:
            continue
        found.append(
            {
                "msgid": msgid,
                "ctx": _field(block, "msgctxt"),
                "plural": _field(block, "msgid_plural"),
                "msgstr": _field(block, "msgstr") or _field(block, "msgstr[0]") or "",
                "fuzzy": "fuzzy" if re.search(r"^#,.*\bfuzzy\b", block, re.M) else "",
            }
        )
    return found


def _entries(po: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of every entry but the header; of a plural, its singular form."""
    return [(b["msgid"] or "", b["msgstr"] or "", bool(b["fuzzy"])) for b in _blocks(po)]


def test_every_app_with_texts_has_a_catalogue():
    assert {"api", "gate", "vault", "policy", "console"} <= set(APPS)
    assert not (ROOT / "locale").exists(), "the old shared catalogue is retired"


@pytest.mark.parametrize("app", APPS)
def test_makemessages_leaves_nothing_untranslated(app, tmp_path):
    copy = tmp_path / app
    shutil.copytree(ROOT / app, copy, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    subprocess.run(
        [str(DJANGO_ADMIN), "makemessages", "-l", "nl", "-v0"],
        cwd=copy,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "waarborg.settings"},
        check=True,
        capture_output=True,
        timeout=120,
    )
    entries = _entries((copy / "locale/nl/LC_MESSAGES/django.po").read_text())
    assert entries, f"{app}: no texts found"
    missing = [m for m, s, fuzzy in entries if not s or fuzzy]
    assert missing == [], f"{app}: untranslated or fuzzy: {missing}"


@pytest.mark.parametrize("app", APPS)
def test_the_compiled_catalogue_matches_its_source(app):
    folder = ROOT / app / "locale/nl/LC_MESSAGES"
    with (folder / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for b in _blocks((folder / "django.po").read_text()):
        msgid, ctx, plural = b["msgid"] or "", b["ctx"], b["plural"]
        if plural is not None:
            got = (
                compiled.npgettext(ctx, msgid, plural, 1)
                if ctx
                else compiled.ngettext(msgid, plural, 1)
            )
        else:
            got = compiled.pgettext(ctx, msgid) if ctx else compiled.gettext(msgid)
        assert got == b["msgstr"], f"{app}: compile the catalogue again ({msgid!r})"
