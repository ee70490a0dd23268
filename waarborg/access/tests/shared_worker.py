"""A separate server process for the tests of shared limits: counts, fails logins, revokes or
checks a token against the database and cache its environment names, and prints what it saw."""

from __future__ import annotations

import os
import sys
import time

import django

# Rate windows are fixed slices of the clock; one this long (until 2106) is the same window for
# every process a test starts, however slowly they run, so no count restarts at a boundary.
ONE_WINDOW = 2**32


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "waarborg.settings")
    django.setup()
    import waarborg.access.tokens as tokens
    from waarborg.access.logins import login_failed, login_paused
    from waarborg.access.selectors import system_for_token
    from waarborg.access.services import token_revoke
    from waarborg.api.throttle import count_request, rate_take
    from waarborg.core.actors import Actor

    action, args = argv[1], argv[2:]
    if action == "count":
        for _ in range(int(args[1])):
            print(count_request(args[0], duration=ONE_WINDOW)[0])
    elif action == "take":  # how many of N requests a limit lets through
        limit, calls = int(args[1]), int(args[2])
        print(sum(rate_take(args[0], limit=limit, duration=ONE_WINDOW)[0] for _ in range(calls)))
    elif action == "fail-logins":
        for _ in range(int(args[2])):
            login_failed(username=args[0], address=args[1])
        print(login_paused(username=args[0], address=args[1]))
    elif action == "revoke":
        print(token_revoke(actor=Actor.job("test"), prefix=args[0]))
    elif action == "watch":  # a token checked, then checked again once told to
        # Remembered for an hour, so a refusal can only come from the revocation reaching this
        # process, not from its memory running out (however slowly the machine runs).
        tokens.TOKEN_TTL = 3600.0
        print(system_for_token(args[0]) is not None, flush=True)
        sys.stdin.readline()
        # Asked again and again: answers how long the token stayed accepted after being told.
        told = time.monotonic()
        while system_for_token(args[0]) is not None and time.monotonic() - told < 30:
            time.sleep(0.01)
        print(system_for_token(args[0]) is not None, round(time.monotonic() - told, 2), flush=True)


if __name__ == "__main__":
    main(sys.argv)
