"""What the console's pages about requests show, in words of the page's language: rights,
states, letters, the clock and the audit trail. Presentation only: what may be shown was decided
by the gate and the rights selectors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from waarborg.core.errors import Text
from waarborg.core.i18n import current_language
from waarborg.gate.trail import TrailEntry
from waarborg.gate.words import ACTIONS, words
from waarborg.policy.selectors import policy_current
from waarborg.rights.models import Letter, Request, Step
from waarborg.rights.selectors import Queued, days_left

LANGUAGES: dict[str, Text] = {"nl": gettext_lazy("Dutch"), "en": gettext_lazy("English")}
# The sealed texts of a request, in the order the page shows them.
TEXTS: dict[str, Text] = {
    "email": gettext_lazy("E-mail address"),
    "explanation": gettext_lazy("The requester's explanation"),
    "extension_reason": gettext_lazy("Reason for the extension"),
    "refusal_reasons": gettext_lazy("Reasons for the refusal"),
}
# The badge of a request by the days left: late, two days or fewer, seven days or fewer.
TONES = {"late": "bad", "2": "bad", "7": "warn", "": "muted"}


def _label(choices: type[Any], code: str) -> str:
    """A choice's label in words; a code this version does not know, humanised."""
    try:
        return str(choices(code).label)
    except ValueError:
        return code.replace("_", " ")


def kinds_words(kinds: Iterable[str]) -> str:
    return ", ".join(_label(Request.Kind, k) for k in kinds)


def days_words(days: int) -> str:
    """Days left in words: "5 days left", "due today", "3 days late"."""
    if days < 0:
        return ngettext("%(n)d day late", "%(n)d days late", -days) % {"n": -days}
    if days == 0:
        return _("due today")
    return ngettext("%(n)d day left", "%(n)d days left", days) % {"n": days}


def queue_rows(queued: Iterable[Queued]) -> list[dict[str, Any]]:
    return [
        {
            "reference": q.request.reference,
            "kinds": kinds_words(q.request.kinds),
            "status": _label(Request.Status, q.request.status),
            "received": q.request.received_at,
            "deadline": q.deadline,
            "extended": q.request.extended_until is not None,
            "days": days_words(q.days_left),
            "tone": TONES[q.mark],
        }
        for q in queued
    ]


def request_row(request: Request) -> dict[str, Any]:
    left = days_left(request)
    mark = Queued(request=request, deadline=request.deadline, days_left=left).mark
    unclosed = request.closed_at is None
    return {
        "reference": request.reference,
        "kinds": kinds_words(request.kinds),
        "unclear": Request.Kind.UNCLEAR in request.kinds,
        "status": _label(Request.Status, request.status),
        "channel": _label(Request.Channel, request.channel),
        "language": LANGUAGES.get(request.language, request.language),
        "received": request.received_at,
        "confirmed": request.confirmed_at,
        "due": request.due,
        "extended_until": request.extended_until,
        "days": days_words(left) if unclosed else "",
        "tone": TONES[mark],
        "closed": request.closed_at,
        "grounds": _label(Request.Grounds, request.refusal_grounds)
        if request.refusal_grounds
        else "",
        "on_file": request.subject_id is not None,
    }


def letter_rows(letters: Iterable[Letter]) -> list[dict[str, Any]]:
    return [
        {
            "kind": _label(Letter.Kind, letter.kind),
            "language": LANGUAGES.get(letter.language, letter.language),
            "written": letter.created_at,
            "sent": letter.sent_at,
        }
        for letter in letters
    ]


STEP_TONES = {"done": "ok", "failed": "bad", "waiting": "warn"}


def step_rows(steps: Iterable[Step]) -> list[dict[str, Any]]:
    """Each step: which right, what, in which system (by its policy name), how far."""
    systems = policy_current().policy.systems
    lang = current_language()
    return [
        {
            "position": s.position,
            "right": _label(Request.Kind, s.right) if s.right else "",
            "action": _label(Step.Action, s.action),
            "system": systems[s.system].name.get(lang) if s.system in systems else s.system,
            "status": _label(Step.Status, s.status),
            "tone": STEP_TONES.get(s.status, "muted"),
            "attempts": s.attempts,
            "finished": s.finished_at,
            "error": s.error,
        }
        for s in steps
    ]


def text_rows(texts: Mapping[str, str] | None) -> list[tuple[Text, str]] | None:
    """The opened texts as (label, text), those that are empty left out; None: not opened."""
    if texts is None:
        return None
    return [(label, texts[name]) for name, label in TEXTS.items() if texts.get(name)]


def _who(actor: str) -> str:
    kind, _sep, name = actor.partition(":")
    if kind == "staff":
        return name
    if kind == "subject":
        return _("the requester")
    if kind == "system":
        return _("system %(name)s") % {"name": name}
    return _("automatic job")


def _detail(entry: TrailEntry) -> str:
    """The one thing worth knowing about a step, in words (never a value: there are none)."""
    detail = entry.detail or {}
    if entry.action == "rights.file":
        channel = _label(Request.Channel, str(detail.get("channel", "")))
        return f"{channel}: {kinds_words(detail.get('kinds', []))}"
    if entry.action == "rights.classify":
        return kinds_words(detail.get("new", []))
    if entry.action == "rights.extend" and detail.get("until"):
        until = date.fromisoformat(str(detail["until"]))
        return _("until %(date)s") % {"date": formats.date_format(until, "j F Y")}
    if entry.action == "rights.refuse":
        return _label(Request.Grounds, str(detail.get("grounds", "")))
    if entry.action == "rights.read":
        return ", ".join(str(TEXTS.get(f, f)) for f in entry.fields)
    return ""


def trail_rows(entries: Iterable[TrailEntry]) -> list[dict[str, Any]]:
    return [
        {
            "at": e.at,
            "who": _who(e.actor),
            "what": words(ACTIONS, e.action),
            "detail": _detail(e),
            "refused": e.decision == "refused",
        }
        for e in entries
    ]
