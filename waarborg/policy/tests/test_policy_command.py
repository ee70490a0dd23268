"""``waarborg policy check | schema | apply``: every problem as FILE:LINE: path: message."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema_rs
import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from waarborg.conftest import POLICY_FILE
from waarborg.policy.models import PolicyVersion
from waarborg.policy.selectors import policy_current

CMS = POLICY_FILE.read_text(encoding="utf-8")
ERROR_LINE = re.compile(r"^(?P<file>.+):(?P<line>\d+): (?P<path>\S+): (?P<message>.+)$")
WAARBORG = Path(sys.executable).parent / "waarborg"


def edit(text: str, old: str, new: str) -> tuple[str, int]:
    """Replace the first ``old`` in ``text``; return the text and the line where ``new`` starts."""
    at = text.index(old)
    return text[:at] + new + text[at + len(old) :], text[:at].count("\n") + 1


def line_of(text: str, marker: str) -> int:
    return text[: text.index(marker)].count("\n") + 1


def check(path: Path | None = None, *options: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = ["check", str(path), *options] if path else ["check", *options]
    try:
        call_command("policy", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def errors(text: str, tmp_path: Path) -> list[tuple[int, str, str]]:
    """Check ``text`` as a file; it must fail with exit 2. Returns (line, path, message)."""
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = check(path)
    assert code == 2 and out == ""
    found = []
    for line in err.strip().splitlines():
        match = ERROR_LINE.match(line)
        assert match, f"not FILE:LINE: path: message: {line!r}"
        assert match["file"] == str(path)
        found.append((int(match["line"]), match["path"], match["message"]))
    return found


def test_it_accepts_the_cms_policy_with_a_one_line_summary():
    code, out, err = check(POLICY_FILE)
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{POLICY_FILE}: valid; 9 purposes, ")
    pending = len(err.strip().splitlines())  # the values to be confirmed, see test_to_confirm
    assert lines[0].endswith(
        f"version {policy_current().digest[:12]}; {pending} values to be confirmed"
    )


def test_it_checks_the_policy_in_force_when_no_file_is_named(tmp_path, settings):
    text, line = edit(CMS, "basis: contract", "basis: goodwill")
    broken = tmp_path / "in-force.yaml"
    broken.write_text(text, encoding="utf-8")
    settings.WAARBORG_POLICY = broken
    code, _, err = check()
    assert code == 2
    assert err.startswith(f"{broken}:{line}: purposes.administration.basis: ")


def test_it_rejects_an_unknown_legal_basis(tmp_path):
    text, line = edit(CMS, "basis: contract", "basis: goodwill")
    [(at, path, message)] = errors(text, tmp_path)
    assert (at, path) == (line, "purposes.administration.basis")
    assert "'contract'" in message and "'legitimate_interest'" in message
    assert message.endswith("not 'goodwill'")


def test_it_rejects_a_purpose_naming_a_category_that_does_not_exist(tmp_path):
    text, line = edit(
        CMS,
        "categories: [user.name, user.contact, user.gender]",
        "categories: [user.name, user.contact, user.shoe_size]",
    )
    assert errors(text, tmp_path) == [
        (line, "purposes.administration.categories[2]", "unknown category 'user.shoe_size'")
    ]


def test_it_reports_broken_yaml_at_its_line(tmp_path):
    text, line = edit(CMS, "  trade_name: Aplanner\n", "  trade_name: Aplanner: Pro\n")
    [(at, path, message)] = errors(text, tmp_path)
    assert (at, path) == (line, "(yaml)")
    assert message.startswith("YAML syntax error: mapping values are not allowed")


def test_it_reports_an_unclosed_bracket(tmp_path):
    text, _ = edit(CMS, "channels: [email, phone]", "channels: [email, phone")
    [(at, path, message)] = errors(text, tmp_path)
    assert path == "(yaml)" and message.startswith("YAML syntax error")
    assert at > line_of(CMS, "channels: [email, phone]")


def test_it_rejects_a_duplicate_key_at_its_second_line(tmp_path):
    text, line = edit(CMS, "  country: NL\n", "  country: NL\n  country: BE\n")
    assert errors(text, tmp_path) == [(line + 1, "controller.country", "duplicate key")]


def test_it_rejects_a_consent_purpose_asking_a_required_field(tmp_path):
    text, line = edit(
        CMS,
        "fields: {email: optional, phone: optional}",
        "fields: {email: required, phone: optional}",
    )
    assert errors(text, tmp_path) == [
        (
            line,
            "purposes.newsletter.consent.fields.email",
            "a consent purpose may only ask for optional fields",
        )
    ]


def test_it_rejects_a_legitimate_interest_purpose_without_balancing_test(tmp_path):
    text, _ = edit(CMS, "    basis: contract", "    basis: legitimate_interest")
    assert errors(text, tmp_path) == [
        (
            line_of(CMS, "  administration:\n"),
            "purposes.administration.balancing_test",
            "a legitimate-interest purpose needs a balancing test",
        )
    ]


def test_it_rejects_a_bank_account_for_a_free_product(tmp_path):
    text, line = edit(
        CMS, "      gender: optional\n", "      gender: optional\n      iban: optional\n"
    )
    assert errors(text, tmp_path) == [
        (
            line + 1,
            "products['aplanner-free'].fields.iban",
            "financial data is only accepted for a paid product",
        )
    ]


def test_it_rejects_a_transfer_outside_the_eea_without_safeguard(tmp_path):
    text, _ = edit(
        CMS,
        "Physical housing of servers}\n        country: NL",
        "Physical housing of servers}\n        country: US",
    )
    assert errors(text, tmp_path) == [
        (
            line_of(CMS, "  hosting:\n"),
            "recipients.hosting.transfer_safeguard",
            "a transfer outside the EEA (recipient or sub-processor) needs a safeguard",
        )
    ]


def test_it_reports_every_structural_error_in_one_run(tmp_path):
    text, _ = edit(CMS, "basis: contract", "basis: goodwill")
    text, _ = edit(text, "  country: NL\n", "  country: NL\n  country: BE\n")
    text, _ = edit(text, "      years: 7\n", "      years: 0\n")
    text, _ = edit(text, "    paid: true\n", "    paid: true\n    price: 10\n")
    found = errors(text, tmp_path)
    assert sorted((at, path) for at, path, _ in found) == sorted(
        [
            (line_of(text, "country: BE"), "controller.country"),
            (line_of(text, "basis: goodwill"), "purposes.administration.basis"),
            (line_of(text, "price: 10"), "products['aplanner-pro'].price"),
            (line_of(text, "years: 0") - 1, "purposes.bookkeeping.retention"),
        ]
    )
    messages = {path: message for _, path, message in found}
    assert messages["controller.country"] == "duplicate key"
    assert messages["purposes.administration.basis"].endswith("not 'goodwill'")
    assert messages["products['aplanner-pro'].price"] == (
        "unknown key (not part of the policy format)"
    )
    assert messages["purposes.bookkeeping.retention"].endswith(
        "a retention period must be longer than zero"
    )


def test_it_reports_every_reference_error_in_one_run(tmp_path):
    text, category = edit(CMS, "user.gender]", "user.shoe_size]")
    text, role = edit(text, "purposes: [reporting]", "purposes: [gossip]")
    text, recipient = edit(text, "recipients: [hosting, authorities]", "recipients: [press]")
    # Each edit stays on one line, so the lines found above still hold.
    assert errors(text, tmp_path) == [
        (category, "purposes.administration.categories[2]", "unknown category 'user.shoe_size'"),
        (recipient, "purposes.bookkeeping.recipients[0]", "unknown recipient 'press'"),
        (role, "roles.analyst.purposes[0]", "unknown purpose 'gossip'"),
    ]


def test_it_reports_an_impossible_date_instead_of_crashing(tmp_path):
    text, line = edit(CMS, "signed: 2024-01-15", "signed: 2024-02-30")
    [(at, path, message)] = errors(text, tmp_path)
    assert (at, path) == (line, "recipients.hosting.agreement.signed")
    assert message == "cannot read this value ('2024-02-30'): day is out of range for month"


def test_it_reports_a_missing_file(tmp_path):
    missing = tmp_path / "nowhere.yaml"
    code, _, err = check(missing)
    assert code == 2
    assert err.strip() == f"{missing}:1: (file): cannot read: No such file or directory"


def test_it_prints_a_json_schema_that_the_cms_policy_satisfies():
    out = io.StringIO()
    call_command("policy", "schema", stdout=out)
    schema = json.loads(out.getvalue())
    assert jsonschema_rs.meta.is_valid(schema)
    validator = jsonschema_rs.validator_for(schema)
    document = policy_current().document
    assert validator.is_valid(document)
    document["purposes"]["administration"]["basis"] = "goodwill"
    assert not validator.is_valid(document)


@pytest.mark.django_db
def test_it_applies_a_policy_once_and_syncs_staff_roles(edited_policy):
    out = io.StringIO()
    call_command("policy", "apply", stdout=out)
    call_command("policy", "apply", stdout=out)
    first, second = out.getvalue().strip().splitlines()
    assert first.endswith("recorded as new version; 7 staff roles in sync")
    assert second.endswith("unchanged; 7 staff roles in sync")
    assert PolicyVersion.objects.count() == 1
    assert set(Group.objects.values_list("name", flat=True)) >= {"support", "analyst"}

    edited_policy(lambda d: d["roles"].pop("analyst"))
    call_command("policy", "apply", stdout=out)
    assert PolicyVersion.objects.count() == 2
    assert "recorded as new version; 6 staff roles in sync" in out.getvalue()


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(WAARBORG), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )


def test_the_console_command_exits_2_with_every_error_and_no_traceback(tmp_path):
    text, _ = edit(CMS, "basis: contract", "basis: goodwill")
    text, _ = edit(text, "  country: NL\n", "  country: NL\n  country: BE\n")
    basis, dup = line_of(text, "basis: goodwill"), line_of(text, "country: BE") - 1
    broken = tmp_path / "broken.yaml"
    broken.write_text(text, encoding="utf-8")

    checked = _run("policy", "check", str(broken))
    assert checked.returncode == 2
    assert checked.stdout == ""
    assert f"{broken}:{basis}: purposes.administration.basis: " in checked.stderr
    assert f"{broken}:{dup + 1}: controller.country: duplicate key" in checked.stderr

    # Every other command refuses to start on the same policy, with the same messages.
    refused = _run("register", WAARBORG_POLICY=str(broken))
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert f"{broken}:{dup + 1}: controller.country: duplicate key" in refused.stderr
    assert "Traceback" not in checked.stderr + refused.stderr

    fine = _run("policy", "check", str(POLICY_FILE))
    assert fine.returncode == 0
    assert fine.stdout.count("\n") == 1
    # Values to be confirmed are warnings in the same form as errors.
    assert all(ERROR_LINE.match(line) for line in fine.stderr.splitlines())
    assert "Traceback" not in fine.stderr


def test_it_reports_reference_errors_even_when_the_structure_is_broken(tmp_path):
    text, category_line = edit(
        CMS,
        "categories: [user.name, user.contact, user.gender]",
        "categories: [user.name, user.contact, user.shoe_size]",
    )
    invoicing = "basis: contract\n    categories: [user.name, user.contact.email"
    text, basis_line = edit(text, invoicing, invoicing.replace("contract", "goodwill"))
    found = errors(text, tmp_path)
    assert category_line < basis_line
    assert [(at, path) for at, path, _ in found] == [
        (category_line, "purposes.administration.categories[2]"),
        (basis_line, "purposes.invoicing.basis"),
    ]
    assert found[0][2] == "unknown category 'user.shoe_size'"
    assert found[1][2].endswith("not 'goodwill'")
