"""Reads of requests: the queue by deadline, one request, the late ones. No personal values:
a request's sealed texts are read through ``gate.requesters``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from waarborg.rights.codes import reference_clean
from waarborg.rights.models import Request

# Days left at which the console marks a request (issue 11: 7 and 2 days).
WARN_DAYS = (7, 2)


@dataclass(frozen=True)
class Queued:
    request: Request
    deadline: date
    days_left: int  # negative: late by that many days

    @property
    def mark(self) -> str:
        """``late``, ``2`` or ``7`` (days or fewer left), or "" for a request with time."""
        if self.days_left < 0:
            return "late"
        return next((str(d) for d in sorted(WARN_DAYS) if self.days_left <= d), "")


def days_left(request: Request, *, today: date | None = None) -> int:
    """Calendar days from ``today`` (the Dutch date) to the request's deadline; 0 on the day."""
    return (request.deadline - (today or timezone.localdate())).days


def request_get(reference: str) -> Request | None:
    """The request with this reference (as typed: any case, with or without ``R-``)."""
    return Request.objects.filter(reference=reference_clean(reference)).first()


def _unclosed() -> QuerySet[Request]:
    return Request.objects.filter(closed_at__isnull=True).annotate(
        deadline_at=Coalesce(F("extended_until"), F("due"))
    )


def request_queue(
    *, today: date | None = None, statuses: tuple[str, ...] | None = None, limit: int = 500
) -> list[Queued]:
    """Requests not closed (or of ``statuses``), soonest deadline first, with days left. One
    query, whatever the number of requests."""
    today = today or timezone.localdate()
    rows = _unclosed()
    if statuses:
        rows = rows.filter(status__in=statuses)
    rows = rows.order_by("deadline_at", "received_at", "id")[:limit]
    return [Queued(r, r.deadline, days_left(r, today=today)) for r in rows]


def requests_overdue(*, today: date | None = None) -> list[Queued]:
    """Open requests past their deadline (confirmed or classified, not yet answered)."""
    today = today or timezone.localdate()
    late = Q(extended_until__lt=today) | Q(extended_until__isnull=True, due__lt=today)
    rows = _unclosed().filter(late, status=Request.Status.OPEN)
    rows = rows.order_by("deadline_at", "received_at", "id")
    return [Queued(r, r.deadline, days_left(r, today=today)) for r in rows]


@dataclass(frozen=True)
class State:
    """What anyone holding a reference may see of a request: no personal data."""

    reference: str
    status: str
    kinds: list[str]
    received_at: datetime
    due: date
    extended_until: date | None
    days_left: int


def request_state(reference: str, *, today: date | None = None) -> State | None:
    request = request_get(reference)
    if request is None:
        return None
    return State(
        reference=request.reference,
        status=request.status,
        kinds=list(request.kinds),
        received_at=request.received_at,
        due=request.due,
        extended_until=request.extended_until,
        days_left=days_left(request, today=today),
    )
