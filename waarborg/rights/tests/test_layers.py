"""Inside rights, carrying out a request imports one way, checked by import-linter (the tool
``make lint`` runs) with this contract: the task runner above what each step does, above the
letters, above what the answer says, above the archive, above the step rows and what a step
handed over. A module that imports one above it (as ``steps`` once imported ``tasks`` and
``execute``, ``exports`` imported ``execute`` and ``answers`` imported ``letters``) breaks it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACT = """
[importlinter]
root_package = waarborg

[importlinter:contract:rights-one-way]
name = Inside rights, carrying out a request imports one way
type = layers
containers = waarborg.rights
layers =
    tasks
    execute
    letters
    answers
    exports
    steps | payloads
"""


def _lint(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(config)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_carrying_out_a_request_imports_one_way(tmp_path):
    config = tmp_path / "rights.importlinter"
    config.write_text(CONTRACT)
    result = _lint(config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout
