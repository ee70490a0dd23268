"""C1 from the command line: 'waarborg acceptance --outdated' reports who must be asked again."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import CommandError

from waarborg.policy.selectors import policy_current
from waarborg.policy.services import policy_version_record
from waarborg.vault.services import policy_accept, subject_erase
from waarborg.vault.tests.factories import OFFICER, SIGNUP, pro_customer

pytestmark = pytest.mark.django_db


def _run(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("acceptance", *args, stdout=out)
    return out.getvalue().splitlines()


def _retitle(data):
    data["title"]["en"] = "Privacy statement (revised)"


def test_outdated_prints_how_many_and_with_ids_which(edited_policy):
    old = policy_current()
    policy_version_record(loaded=old)
    first, second, current, never, gone = (pro_customer() for _ in range(5))
    for subject in (first, second, current, gone):
        policy_accept(actor=SIGNUP, subject_id=subject.id, digest=old.digest, how="web")
    subject_erase(actor=OFFICER, subject_id=gone.id, reason="request")
    assert _run("--outdated") == [
        f"0 subjects accepted an older version of the statement than the one in force "
        f"({old.digest[:12]})."
    ]

    edited_policy(_retitle)
    new = policy_current()
    policy_accept(actor=SIGNUP, subject_id=current.id, digest=new.digest, how="web")
    lines = _run("--outdated")
    assert lines == [
        f"2 subjects accepted an older version of the statement than the one in force "
        f"({new.digest[:12]})."
    ]
    lines = _run("--outdated", "--ids")
    assert lines[0].startswith("2 subjects accepted an older version")
    assert sorted(lines[1:]) == sorted([str(first.id), str(second.id)])
    assert str(never.id) not in lines and str(gone.id) not in lines

    policy_accept(actor=SIGNUP, subject_id=first.id, digest=new.digest, how="email")
    assert _run("--outdated", "--ids")[1:] == [str(second.id)]
    assert _run("--outdated")[0].startswith("1 subject accepted")


def test_without_outdated_it_says_what_to_ask_for():
    with pytest.raises(CommandError, match="--outdated"):
        call_command("acceptance")


def test_help_says_what_it_reports():
    command = load_command_class(get_commands()["acceptance"], "acceptance")
    assert "older version of the statement than the one in force" in command.help
    assert "one per line" in command.help
