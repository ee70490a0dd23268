"""The privacy officer's pages about data-subject requests: the queue by deadline, and one page
per request with its clock, letters, audit trail and the decisions still open.

Thin: access is ``staff_page``'s (the single check), then the policy's word on who decides
requests; reads are selectors of ``waarborg.rights`` or the gate, each decision one service. The
requester's address and words are opened only on request, through the gate (audited)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from waarborg.console.request_rows import (
    letter_rows,
    queue_rows,
    request_row,
    step_rows,
    text_rows,
    trail_rows,
)
from waarborg.console.views import staff_page
from waarborg.core.actors import Actor
from waarborg.core.errors import Refusal
from waarborg.gate.requesters import gate_request_open
from waarborg.gate.trail import gate_request_trail
from waarborg.policy.rules import decides_objections
from waarborg.policy.selectors import policy_current
from waarborg.rights.models import Request
from waarborg.rights.selectors import (
    queue_counts,
    request_decisions,
    request_get,
    request_letters,
    request_queue,
    request_steps,
)
from waarborg.rights.services import request_classify, request_extend, request_refuse

PAGE_SIZE = 200  # rows of the queue per page
DONE = {
    "classified": gettext_lazy("Saved which rights the request is about."),
    "extended": gettext_lazy(
        "The deadline is extended; the letter to the requester is on its way."
    ),
    "refused": gettext_lazy("The request is refused; the letter to the requester is on its way."),
}


def officer_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``staff_page``, and only for a role the policy charges with requests (CMS: the privacy
    officer); any other role gets the console's refusal."""

    @staff_page
    @wraps(view)
    def wrapped(
        request: HttpRequest, actor: Actor, purposes: list[str], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        if not decides_objections(policy_current().policy, actor):
            message = _("Only the privacy officer handles requests about personal data.")
            return render(request, "console/forbidden.html", {"message": message}, status=403)
        return view(request, actor, *args, **kwargs)

    return wrapped


def _page_number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and 0 < int(text) < 100_000 else 1


@require_GET
@officer_page
def request_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Requests not closed, soonest deadline first, a page at a time; a fixed number of queries
    whatever their number (``selectors.request_queue``, ``selectors.queue_counts``)."""
    page = _page_number(request.GET.get("page"))
    offset = (page - 1) * PAGE_SIZE
    counts = queue_counts()
    rows = queue_rows(request_queue(limit=PAGE_SIZE, offset=offset))
    context = {
        "rows": rows,
        "counts": counts,
        "page": page,
        "first": offset + 1,
        "last": offset + len(rows),
        "has_next": counts.unclosed > offset + len(rows),
    }
    return render(request, "console/requests.html", context)


@require_GET
@officer_page
def request_page(request: HttpRequest, actor: Actor, reference: str) -> HttpResponse:
    found = request_get(reference)
    if found is None:
        return _not_found(request)
    texts = None
    if request.GET.get("show") == "texts":
        texts = gate_request_open(
            actor=actor,
            reference=found.reference,
            subject_id=found.subject_id,
            sealed={
                "email": found.email,
                "explanation": found.explanation,
                "extension_reason": found.extension_reason,
                "refusal_reasons": found.refusal_reasons,
            },
        )
    done = DONE.get(request.GET.get("done", ""), "")
    return _render(request, actor, found, {"texts": text_rows(texts), "done": done})


def _render(
    request: HttpRequest, actor: Actor, found: Request, extra: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {
        "r": request_row(found),
        "decisions": request_decisions(request=found),
        "letters": letter_rows(request_letters(request=found)),
        "steps": step_rows(request_steps(request=found)),
        "trail": trail_rows(
            gate_request_trail(actor=actor, reference=found.reference, subject_id=found.subject_id)
        ),
        "kind_choices": [(k.value, k.label) for k in Request.Kind if k != Request.Kind.UNCLEAR],
        "grounds_choices": Request.Grounds.choices,
        "form": {},
        **extra,
    }
    return render(request, "console/request.html", context, status=status)


def _not_found(request: HttpRequest) -> HttpResponse:
    message = _("There is no request with this reference.")
    return render(request, "console/forbidden.html", {"message": message}, status=404)


def _decide(
    request: HttpRequest, actor: Actor, reference: str, name: str, decide: Callable[[], Request]
) -> HttpResponse:
    """Make one decision; on success back to the request's page (303) with a notice, on a
    refusal the page again with the reason beside the form it came from."""
    try:
        decided = decide()
    except Refusal as exc:
        found = request_get(reference)
        if found is None:
            return _not_found(request)
        sent = {**request.POST.dict(), "kinds": request.POST.getlist("kinds")}
        form = {"name": name, "message": exc.message, "fields": exc.fields, "sent": sent}
        return _render(request, actor, found, {"form": form, "texts": None}, status=400)
    url = reverse("console:request", args=[decided.reference])
    done = {"classify": "classified", "extend": "extended", "refuse": "refused"}[name]
    return HttpResponseRedirect(f"{url}?done={done}", status=303)


@require_POST
@officer_page
def request_classify_view(request: HttpRequest, actor: Actor, reference: str) -> HttpResponse:
    kinds = request.POST.getlist("kinds")
    return _decide(
        request,
        actor,
        reference,
        "classify",
        lambda: request_classify(actor=actor, reference=reference, kinds=kinds),
    )


@require_POST
@officer_page
def request_extend_view(request: HttpRequest, actor: Actor, reference: str) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _decide(
        request,
        actor,
        reference,
        "extend",
        lambda: request_extend(actor=actor, reference=reference, reason=reason),
    )


@require_POST
@officer_page
def request_refuse_view(request: HttpRequest, actor: Actor, reference: str) -> HttpResponse:
    grounds, reasons = request.POST.get("grounds", ""), request.POST.get("reasons", "")
    return _decide(
        request,
        actor,
        reference,
        "refuse",
        lambda: request_refuse(actor=actor, reference=reference, grounds=grounds, reasons=reasons),
    )
