"""Does the time of an e-mail lookup tell who is a customer?

``GET /api/v1/subjects?email=...&purpose=newsletter`` by a system whose purpose the gate refuses
for the person on file (no consent) answers 404, like an address that is not on file. Measured:
that refused lookup of a customer against the lookup of an unknown address, alternating, through
Django's test Client on PostgreSQL (the baseline is the unknown address; a ratio near 1.0 means
the answer's time tells nothing). Each lookup writes its audit entries for real.
"""

from __future__ import annotations

import argparse
import os

from bench.common import compare, django_setup, pg_database, report, say, timing

DB_NAME = "waarborg_bench_lookup"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    url = pg_database(DB_NAME, bench="lookup")
    if url is None:
        return
    os.environ["WAARBORG_API_RATE"] = "100000/s"  # the rate limit is not what is measured
    django_setup(url)
    from django.core.management import call_command
    from django.test import Client

    from waarborg.access.services import token_create
    from waarborg.core.actors import Actor
    from waarborg.vault.services import subject_create

    call_command("migrate", verbosity=0, interactive=False)
    job = Actor.job("bench")
    known = "lookup.bench@example.nl"
    signup = Actor(kind="system", name="bench-signup", scopes=frozenset({"administration"}))
    from waarborg.vault.selectors import subject_ids_by_email

    if not subject_ids_by_email(known):
        subject_create(actor=signup, product="aplanner-free", fields={"name": "L", "email": known})
    token = token_create(actor=job, system="lookup-bench", purposes=["newsletter"]).token
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def lookup(email: str) -> None:
        answer = client.get("/api/v1/subjects", {"email": email, "purpose": "newsletter"})
        assert answer.status_code == 404, answer.content

    say(f"lookup: {args.rounds} rounds, refused customer vs unknown address")
    pair = compare(
        lambda: lookup(known), lambda: lookup("nobody.here@example.nl"), rounds=args.rounds
    )
    report(
        "E-mail lookup: a refused customer vs an unknown address (same answer, same work)",
        [timing("api.lookup.refused_vs_unknown", pair, note="ratio near 1: time tells nothing")],
    )


if __name__ == "__main__":
    main()
