"""A command with subcommands: each word runs its own method, and a command needs its word."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from waarborg.core.commands import SubcommandCommand, Subcommands


class Greeter(SubcommandCommand):
    def add_subcommands(self, sub: Subcommands) -> None:
        hello = sub.add_parser("hello")
        hello.add_argument("--name", default="world")
        sub.add_parser("bye")

    def handle_hello(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"hello {options['name']}")

    def handle_bye(self, options: dict[str, Any]) -> None:
        self.stdout.write("bye")


def _run(*args: str) -> str:
    out = StringIO()
    call_command(Greeter(), *args, stdout=out)
    return out.getvalue().strip()


def test_each_subcommand_runs_its_own_method_with_its_options():
    assert _run("hello", "--name", "Eva") == "hello Eva"
    assert _run("bye") == "bye"


def test_a_command_without_its_word_or_with_an_unknown_one_is_refused():
    with pytest.raises(CommandError, match="required: action"):
        _run()
    with pytest.raises(CommandError, match="invalid choice"):
        _run("wave")
