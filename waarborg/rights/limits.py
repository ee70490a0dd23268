"""How often requests may be filed: per e-mail address and per client, so the public forms and
the mailbox cannot be used to flood a person (or us) with mail.

Counted in the shared counters (waarborg/core/counters.py: a database table or Redis, as the
API's limits and the login pauses are), so every server process sees one count. Keys are HMACs
under the secret key: the cache never holds an address in a form that can be read or looked up."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from waarborg.core.counters import counter_add, counter_get
from waarborg.gate.records import gate_email_key
from waarborg.rights import errors

FILINGS_PER_ADDRESS = 5  # a day: more than anyone needs, too few to mail-bomb someone
FILINGS_PER_CLIENT = 20  # a day, from one client address of the public forms
WINDOW = 24 * 3600


def _key(kind: str, value: str) -> str:
    mac = hmac.new(settings.SECRET_KEY.encode(), f"{kind}\x00{value}".encode(), hashlib.sha256)
    return f"rights-filings:{kind}:{mac.hexdigest()[:32]}"


def _counters(email: str, client: str) -> list[tuple[str, int]]:
    counters = [(_key("address", gate_email_key(email) or email.lower()), FILINGS_PER_ADDRESS)]
    if client:
        counters.append((_key("client", client), FILINGS_PER_CLIENT))
    return counters


def filing_count(*, email: str, client: str = "") -> None:
    """Count one filing for ``email`` (and ``client``, the sender of a public form); refused
    (``rate_limited``, counting nothing) once either is at its limit for the day."""
    counters = _counters(email, client)
    if any(counter_get(key) >= limit for key, limit in counters):
        raise errors.rate_limited()
    # Counted in one atomic step each: two filings at once both count, so a burst of parallel
    # filings can pass the limit by at most the number in flight, never forever.
    if any(counter_add(key, ttl=WINDOW) > limit for key, limit in counters):
        raise errors.rate_limited()
