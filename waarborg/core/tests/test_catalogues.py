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


def _entries(po: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of every entry but the header."""
    found = []
    for block in po.split("\n\n"):
        fuzzy = bool(re.search(r"^#,.*\bfuzzy\b", block, re.M))
        msgid = "".join(re.findall(r'^(?:msgid |)"(.*)"$', block.split("msgstr")[0], re.M))
        msgstr_part = block.split("msgstr", 1)[1] if "msgstr" in block else ""
        msgstr = "".join(re.findall(r'"(.*)"', msgstr_part))
        if "msgid" in block and msgid:
            found.append((msgid, msgstr, fuzzy))
    return found


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
    for msgid, msgstr, _fuzzy in _entries((folder / "django.po").read_text()):
        text = msgid.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
        want = msgstr.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
        assert compiled.gettext(text) == want, f"{app}: compile the catalogue again ({text!r})"
