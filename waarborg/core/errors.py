"""The one shape of a refusal a person reads: a stable code, a sentence, and per-field sentences.

Services raise it (or a subclass) when nothing was changed; each front door turns it into its own
answer (a JSON error, a page). Messages are gettext strings, read in the active language.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise, lazy

Text = str | Promise  # a plain or a lazily translated sentence


class Refusal(Exception):
    """An operation refused for a reason a person can read; nothing was stored."""

    def __init__(self, code: str, message: Text, fields: Mapping[str, Text] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.fields: dict[str, Text] = dict(fields or {})
        # Set once an audit entry records this refusal, so a caller higher up does not add one.
        self.audited = False

    def __str__(self) -> str:  # for logs and command output: the code and every field named
        named = "; ".join(f"{k}: {v}" for k, v in sorted(self.fields.items()))
        return f"{self.code}: {named or self.message}"


def text_format(message: Text, **values: object) -> Text:
    """``message % values``, translated when it is read (not when the refusal is raised), so the
    same refusal reads right in whichever language answers it."""
    return lazy(lambda: str(message) % values, str)()
