"""Only the gate decrypts; nothing outside the vault and the gate reads the encrypted columns.

Two checks: the import-linter contracts in ``.importlinter`` (who may import the decryption and
key modules), and a scan of the code for reads of the encrypted columns, which imports alone
cannot show. Each check is first shown to catch a planted offender.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CONFIG = ROOT / ".importlinter"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
ALLOWED = ("waarborg/vault/", "waarborg/gate/")
# The backup file's own cipher: it encrypts and decrypts a whole database dump under the backup
# key. What it opens is the dump, whose personal values are still sealed under their data keys;
# it reads no column and hands the dump only to pg_restore or SQLite.
BACKUP_CIPHER = "waarborg/retention/sealed.py"
ENCRYPTED = {"values", "wrapped_dek"}
# Query methods and helpers that name a column by string.
NAMING_CALLS = {"getattr", "F", "only", "defer", "values", "values_list", "update", "filter"}


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _is_class_like(node: ast.expr) -> bool:
    """``Subject.values`` is a descriptor, ``Consent.values`` a list of choices: not a read."""
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name[:1].isupper()


def scan(source: str, path: str) -> list[str]:
    """Reads of encrypted columns, and imports of decryption, in one module outside the vault
    and the gate: ``path:line: what``."""
    tree = ast.parse(source)
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    found: list[str] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ENCRYPTED
            and id(node) not in called
            and not _is_class_like(node.value)
        ):
            found.append(f"{path}:{line}: reads .{node.attr}")
        elif isinstance(node, ast.Call) and _call_name(node) in NAMING_CALLS:
            names = [a.value for a in node.args if isinstance(a, ast.Constant)]
            names += [k.arg for k in node.keywords if k.arg]
            for name in names:
                if isinstance(name, str) and name.split("__")[0] in ENCRYPTED:
                    found.append(f"{path}:{line}: names column {name!r}")
        elif isinstance(node, ast.ImportFrom | ast.Import):
            modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            modules += [a.name for a in node.names]
            if isinstance(node, ast.ImportFrom):
                modules += [f"{node.module}.{a.name}" for a in node.names]
            for module in modules:
                if module in ("waarborg.gate.decrypt", "waarborg.vault.keys") or module.startswith(
                    "cryptography.hazmat.primitives.ciphers"
                ):
                    found.append(f"{path}:{line}: imports {module}")
    return sorted(set(found))


def _production_modules() -> list[Path]:
    return [
        p
        for p in sorted((ROOT / "waarborg").rglob("*.py"))
        if "tests" not in p.parts and "migrations" not in p.parts and p.name != "conftest.py"
    ]


def test_no_module_outside_the_vault_and_gate_reads_encrypted_columns():
    # Start-up checks need the keyring (a server without a KEK refuses to start).
    startup = {"waarborg/cli.py", "waarborg/wsgi.py"}
    found = []
    scanned = 0
    for path in _production_modules():
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(ALLOWED):
            continue
        scanned += 1
        problems = scan(path.read_text(encoding="utf-8"), relative)
        if relative in startup:
            problems = [p for p in problems if not p.endswith("imports waarborg.vault.keys")]
        if relative == BACKUP_CIPHER:
            problems = [p for p in problems if "imports cryptography.hazmat" not in p]
        found += problems
    assert scanned >= 10
    assert found == []


def test_the_gate_is_the_only_decrypting_code_in_the_vault_and_gate_too():
    """Inside the vault only services, rotation and key handling touch keys; decryption of a
    personal value (AESGCM(...).decrypt on a value) happens in gate/decrypt.py alone."""
    decrypting = []
    for path in _production_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "decrypt"
            ):
                decrypting.append(path.relative_to(ROOT).as_posix())
    # keys.py decrypts only wrapped keys (unwrap); decrypt.py decrypts values; the backup
    # cipher decrypts backup files.
    assert sorted(set(decrypting)) == [
        "waarborg/gate/decrypt.py",
        BACKUP_CIPHER,
        "waarborg/vault/keys.py",
    ]
    keys_source = (ROOT / "waarborg/vault/keys.py").read_text(encoding="utf-8")
    unwrap = next(
        n
        for n in ast.walk(ast.parse(keys_source))
        if isinstance(n, ast.FunctionDef) and n.name == "unwrap"
    )
    callers = [
        n
        for n in ast.walk(ast.parse(keys_source))
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "decrypt"
    ]
    assert len(callers) == 1
    assert unwrap.end_lineno is not None
    assert unwrap.lineno <= callers[0].lineno <= unwrap.end_lineno


PLANTED = """
from waarborg.gate.decrypt import open_values
from waarborg.vault import keys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db.models import F

def leak(subject, qs):
    raw = subject.values["name"]
    key = getattr(subject, "wrapped_dek")
    rows = qs.values_list("values", flat=True)
    also = qs.filter(values__name__isnull=False).annotate(v=F("wrapped_dek"))
    fine = [x for x in {}.values()] + list(qs.values("id")) + list(Consent.values)
    return raw, key, rows, also, fine
"""


def test_the_scan_catches_planted_reads():
    assert scan(PLANTED, "planted.py") == [
        "planted.py:10: names column 'values'",
        "planted.py:11: names column 'values__name__isnull'",
        "planted.py:11: names column 'wrapped_dek'",
        "planted.py:2: imports waarborg.gate.decrypt",
        "planted.py:3: imports waarborg.vault.keys",
        "planted.py:4: imports cryptography.hazmat.primitives.ciphers.aead",
        "planted.py:4: imports cryptography.hazmat.primitives.ciphers.aead.AESGCM",
        "planted.py:8: reads .values",
        "planted.py:9: names column 'wrapped_dek'",
    ]
    # The last line (dict.values(), QuerySet.values("id"), a choices class) is not flagged.
    assert not any(line.startswith("planted.py:12:") for line in scan(PLANTED, "planted.py"))


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(CONFIG)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


@pytest.fixture
def planted_package(tmp_path: Path) -> Path:
    """A tiny ``waarborg`` with a module that imports the decryption and key modules."""
    files = {
        "waarborg/__init__.py": "",
        "waarborg/gate/__init__.py": "",
        "waarborg/gate/decrypt.py": "",
        "waarborg/gate/services.py": "from waarborg.gate import decrypt\n",
        "waarborg/vault/__init__.py": "",
        "waarborg/vault/keys.py": "",
        "waarborg/vault/services.py": "from waarborg.vault import keys\n",
        "waarborg/cli.py": "from waarborg.vault.keys import *\n",
        **{
            f"waarborg/{app}/__init__.py": ""
            for app in (
                "api",
                "console",
                "center",
                "access",
                "audit",
                "rights",
                "intake",
                "consent",
                "billing",
                "retention",
                "connectors",
                "campaigns",
            )
        },
        **{f"waarborg/{app}/__init__.py": "" for app in ("policy", "core")},
        "waarborg/reports/__init__.py": "",
        "waarborg/reports/export.py": textwrap.dedent(
            """
            from waarborg.gate.decrypt import open_values
            from waarborg.vault.keys import unwrap
            """
        ),
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_import_contracts_catch_a_planted_import(planted_package):
    result = lint_imports(planted_package)
    assert result.returncode == 1
    assert "Contracts: 2 kept, 2 broken." in result.stdout
    assert "waarborg.reports.export -> waarborg.gate.decrypt" in result.stdout
    assert "waarborg.reports.export -> waarborg.vault.keys" in result.stdout
    assert "waarborg.cli" not in result.stdout.split("Broken contracts")[-1]


def _copy_of_the_code(tmp_path: Path) -> Path:
    for source in (ROOT / "waarborg").rglob("*.py"):
        if "tests" in source.parts:
            continue
        target = tmp_path / source.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text())
    return tmp_path


def test_a_front_door_importing_the_vault_breaks_the_house(tmp_path):
    root = _copy_of_the_code(tmp_path)
    views = root / "waarborg/api/views.py"
    views.write_text(views.read_text() + "\nfrom waarborg.vault.models import Subject  # planted\n")
    result = lint_imports(root)
    assert result.returncode == 1
    assert "Contracts: 3 kept, 1 broken." in result.stdout
    assert "waarborg.api.views -> waarborg.vault.models" in result.stdout


def test_a_lower_layer_importing_a_door_breaks_the_layers(tmp_path):
    root = _copy_of_the_code(tmp_path)
    rules = root / "waarborg/policy/rules.py"
    rules.write_text(rules.read_text() + "\nfrom waarborg.console import views  # planted\n")
    result = lint_imports(root)
    assert result.returncode == 1
    assert "waarborg.policy.rules -> waarborg.console.views" in result.stdout
