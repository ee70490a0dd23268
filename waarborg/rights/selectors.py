"""Reads of requests: the queue by deadline, one request, the late ones. No personal values:
a request's sealed texts are read through ``gate.requesters``."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from waarborg.rights.codes import code_digest, reference_clean
from waarborg.rights.deadlines import extended_date
from waarborg.rights.models import Letter, Request, Step

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
    *,
    today: date | None = None,
    statuses: tuple[str, ...] | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[Queued]:
    """Requests not closed (or of ``statuses``), soonest deadline first, with days left; from
    the ``offset``-th on, for a page. One query, whatever the number of requests."""
    today = today or timezone.localdate()
    rows = _unclosed()
    if statuses:
        rows = rows.filter(status__in=statuses)
    rows = rows.order_by("deadline_at", "received_at", "id")[offset : offset + limit]
    return [Queued(r, r.deadline, days_left(r, today=today)) for r in rows]


@dataclass(frozen=True)
class QueueCounts:
    unclosed: int
    late: int  # open and past the deadline
    two_days: int  # open, 0 to 2 days left
    seven_days: int  # open, 3 to 7 days left
    unclear: int  # open and waiting for a privacy officer to say which right


def queue_counts(*, today: date | None = None) -> QueueCounts:
    """How many requests are not closed, and how many of the open ones carry each mark: one
    query (over the queue's partial index)."""
    today = today or timezone.localdate()
    open_ = Q(status=Request.Status.OPEN)
    soon = (today + timedelta(days=min(WARN_DAYS)), today + timedelta(days=max(WARN_DAYS)))
    counts = _unclosed().aggregate(
        unclosed=Count("id"),
        late=Count("id", filter=open_ & Q(deadline_at__lt=today)),
        two_days=Count("id", filter=open_ & Q(deadline_at__gte=today, deadline_at__lte=soon[0])),
        seven_days=Count("id", filter=open_ & Q(deadline_at__gt=soon[0], deadline_at__lte=soon[1])),
        # ``unclear`` is only ever alone (validation.kinds_clean)
        unclear=Count("id", filter=open_ & Q(kinds=[Request.Kind.UNCLEAR])),
    )
    return QueueCounts(**counts)


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
    language: str  # the requester's: their letters and pages are in it


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
        language=request.language,
    )


def request_letters(*, request: Request) -> list[Letter]:
    """The letters about ``request``, oldest first (whether each went, not what it said)."""
    return list(Letter.objects.filter(request=request).order_by("created_at", "id"))


def request_confirmable(*, reference: str, code: str) -> State | None:
    """The request this confirmation link would confirm, or None when the link does not work
    (used, expired, wrong): for the page that asks to confirm, which changes nothing."""
    request = request_get(reference)
    if (
        request is None
        or request.status != Request.Status.AWAITING_CONFIRMATION
        or not request.confirm_digest
        or request.confirm_expires is None
        or request.confirm_expires <= timezone.now()
        or not hmac.compare_digest(request.confirm_digest, code_digest(code))
    ):
        return None
    return request_state(request.reference)


@dataclass(frozen=True)
class Decisions:
    """What a privacy officer may still decide on a request, and until when."""

    classify: bool  # it does not yet say which right
    extend: bool  # within the first month, not extended yet
    extend_until: date  # the last day an extension can be sent (the first month's end)
    extended_to: date  # the deadline an extension gives (three months after receipt)
    refuse: bool  # not closed


def request_decisions(*, request: Request, today: date | None = None) -> Decisions:
    today = today or timezone.localdate()
    unclosed = request.closed_at is None
    return Decisions(
        classify=unclosed and Request.Kind.UNCLEAR in request.kinds,
        extend=unclosed and request.extended_until is None and today <= request.due,
        extend_until=request.due,
        extended_to=extended_date(timezone.localdate(request.received_at)),
        refuse=unclosed,
    )


def request_steps(*, request: Request) -> list[Step]:
    """How ``request`` is carried out: its steps in order, with their state (never a payload)."""
    return list(Step.objects.filter(request=request).defer("payload").order_by("position"))
