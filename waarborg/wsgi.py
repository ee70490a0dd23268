"""WSGI entry point. Refuses to start, with a plain message, on bad settings or policy."""

from __future__ import annotations

import gc
import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver
from django.utils import translation

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "waarborg.settings")

try:
    application = get_wsgi_application()
    from django.conf import settings

    from waarborg.audit.services import sealer_leave_to_loop, sealer_use_background
    from waarborg.policy.loader import PolicyInvalid
    from waarborg.policy.selectors import policy_current
    from waarborg.retention.markers import restore_guard_install, restore_refusal
    from waarborg.vault.erasures import ledger_dir
    from waarborg.vault.keys import keyring

    policy_current()
    keyring()
    ledger_dir()
    # A restored database whose erasure replay is unfinished is never served: not at start-up,
    # and not later either (the guard asks again on every new connection).
    if refusal := restore_refusal():
        print(f"waarborg: {refusal}", file=sys.stderr)
        sys.exit(2)
    restore_guard_install()
    if settings.WAARBORG_SEAL_IN_SERVER:
        sealer_use_background()  # requests never wait for the hash chain
    else:
        sealer_leave_to_loop()  # 'waarborg audit seal --every N' runs beside the server
    # Load now what the first request would load (the URL tables with every view and the API's
    # schemas, both languages' translations), then keep all of it, which lives as long as the
    # process, out of the collector's full passes. Measured on the subject read: a full pass over
    # the loaded application took 117 ms, stalling every request queued behind it; frozen, 1-4 ms.
    # (Before, the URL tables came after the freeze, with the first request.)
    get_resolver().reverse_dict  # noqa: B018 - imports the URLconf and fills its tables
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            translation.gettext("Privacy")
    gc.freeze()
except ImproperlyConfigured as exc:
    print(f"waarborg: configuration error: {exc}", file=sys.stderr)
    sys.exit(2)
except PolicyInvalid as exc:
    print(f"waarborg: the policy cannot be used:\n{exc.report()}", file=sys.stderr)
    sys.exit(2)
