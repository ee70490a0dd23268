"""The ``waarborg`` command: Django's manage.py, with plain errors instead of tracebacks."""

from __future__ import annotations

import os
import sys

# Commands that read a policy file named on their own command line, or need none.
_OWN_POLICY = {("policy", "check"), ("policy", "schema")}


def _fail(message: str) -> None:
    print(message, file=sys.stderr)
    sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if argv[1:3] == ["keys", "generate"]:  # needs no configuration at all
        from waarborg.vault.keys import kek_generate

        print(kek_generate())
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "waarborg.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as exc:
        _fail(f"waarborg: configuration error: {exc}")

    if tuple(argv[1:3]) not in _OWN_POLICY and argv[1:2] not in (["help"], ["--help"], []):
        from waarborg.policy.loader import PolicyInvalid
        from waarborg.policy.selectors import policy_current
        from waarborg.vault.erasures import ledger_dir
        from waarborg.vault.keys import keyring

        try:
            policy_current()
            keyring()
            ledger_dir()
        except PolicyInvalid as exc:
            _fail(f"waarborg: the policy cannot be used:\n{exc.report()}")
        except ImproperlyConfigured as exc:
            _fail(f"waarborg: configuration error: {exc}")

    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(argv)
    except BrokenPipeError:
        # The reader went away (`waarborg register | head`): stop quietly, not with a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)


if __name__ == "__main__":
    main()
