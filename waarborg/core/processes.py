"""Whether a process of this host still runs: for work claimed by a process that may have died
(a campaign sender, a retention sweep), so a restart can take it over at once."""

from __future__ import annotations

import os


def pid_alive(pid: str) -> bool | None:
    """True when a process with this id runs on this host (also one we may not signal), False
    when none does, None when ``pid`` is no process id."""
    if not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, under another user
        pass
    return True
