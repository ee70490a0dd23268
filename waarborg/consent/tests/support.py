"""Helpers for the banner's tests: what the script sends, the way the script sends it."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from waarborg.consent.banner import banner_current

CHOICE_URL = "/privacy/cookies/choice"
CONFIG_URL = "/privacy/cookies/banner.json"
CATEGORIES = ["statistics", "marketing"]  # the CMS policy's, in its order


def post_choice(client: Client, method: str, accepted: list[str] | None = None, **extra: Any):
    """POST a choice as the script does; ``extra`` overrides body keys, ``headers`` are sent."""
    headers = extra.pop("headers", {})
    body = {
        "visitor": "",
        "accepted": accepted if accepted is not None else [],
        "version": banner_current()[0],
        "method": method,
        "gpc": False,
        "lang": "en",
        **extra,
    }
    return client.post(
        CHOICE_URL, json.dumps(body), content_type="application/json", headers=headers
    )
