"""Management commands whose first word says what to do: ``waarborg audit seal``."""

from __future__ import annotations

from argparse import ArgumentParser, _SubParsersAction
from typing import Any, TypeAlias

from django.core.management.base import BaseCommand

# A string: argparse's class is generic only to type checkers.
Subcommands: TypeAlias = "_SubParsersAction[ArgumentParser]"


class SubcommandCommand(BaseCommand):
    """``add_subcommands`` declares the words (one is required); ``handle`` runs the method
    ``handle_<word>`` with the options, so each subcommand is a method of its own."""

    def add_arguments(self, parser: ArgumentParser) -> None:
        self.add_subcommands(parser.add_subparsers(dest="action", required=True))

    def add_subcommands(self, sub: Subcommands) -> None:
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "handle_" + options["action"])(options)
