"""How often requests may be filed: per e-mail address and per client, so the public forms and
the mailbox cannot be used to flood a person (or us) with mail.

Counted in the shared counters (waarborg/core/counters.py: a database table or Redis, as the
API's limits and the login pauses are), so every server process sees one count. Keys are HMACs
under the secret key: the cache never holds an address in a form that can be read or looked up."""

from __future__ import annotations

from waarborg.core.counters import limits_take
from waarborg.gate.records import gate_email_key
from waarborg.rights import errors

FILINGS_PER_ADDRESS = 5  # a day: more than anyone needs, too few to mail-bomb someone
FILINGS_PER_CLIENT = 20  # a day, from one client address of the public forms
WINDOW = 24 * 3600


def filing_count(*, email: str, client: str = "") -> None:
    """Count one filing for ``email`` (and ``client``, the sender of a public form); refused
    (``rate_limited``) once either is at its limit for the day."""
    counters = [("address", gate_email_key(email) or email.lower(), FILINGS_PER_ADDRESS)]
    if client:
        counters.append(("client", client, FILINGS_PER_CLIENT))
    if not limits_take("rights-filings", counters, window=WINDOW):
        raise errors.rate_limited()
