"""Campaign pages for the marketing role: list, write, preview, send, progress.

Only counts are shown: a campaign page never reads anyone's personal data. Who the mail goes to
is decided by the gate when sending starts and again for each person just before their mail."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waarborg.campaigns.models import Campaign
from waarborg.campaigns.selectors import (
    campaign_preview,
    campaign_progress,
    campaign_purposes,
    campaigns_list,
)
from waarborg.campaigns.services import Draft, campaign_save, campaign_start
from waarborg.console.rows import purpose_names
from waarborg.console.views import staff_page
from waarborg.core.actors import Actor
from waarborg.core.errors import Refusal

FIELDS = ("purpose", "name", "subject_nl", "subject_en", "text_nl", "text_en")


def marketing_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A staff page for those whose role may send campaigns (direct-marketing purposes)."""

    @staff_page
    @wraps(view)
    def wrapped(request: HttpRequest, actor: Actor, purposes: list[str], *a: Any, **k: Any):  # type: ignore[no-untyped-def]
        allowed = campaign_purposes(purposes=purposes)
        if not allowed:
            message = _("Only the marketing role sends campaigns.")
            return render(request, "console/forbidden.html", {"message": message}, status=403)
        return view(request, actor, allowed, *a, **k)

    return wrapped


def _campaign(allowed: list[str], campaign_id: int) -> Campaign:
    found = Campaign.objects.filter(id=campaign_id, purpose__in=allowed).first()
    if found is None:
        raise Http404
    return found


@require_GET
@marketing_page
def index(request: HttpRequest, actor: Actor, allowed: list[str]) -> HttpResponse:
    names = dict(purpose_names(allowed))
    rows = [(c, names.get(c.purpose, c.purpose)) for c in campaigns_list(purposes=allowed)]
    return render(request, "console/campaigns/index.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@marketing_page
def write(
    request: HttpRequest, actor: Actor, allowed: list[str], campaign_id: int | None = None
) -> HttpResponse:
    campaign = _campaign(allowed, campaign_id) if campaign_id else None
    if campaign and campaign.state != Campaign.State.DRAFT:
        return redirect("console:campaign", campaign_id=campaign.pk)
    values = {f: getattr(campaign, f, "") for f in FIELDS}
    context: dict[str, Any] = {"campaign": campaign, "purposes": purpose_names(allowed)}
    status = 200
    if request.method == "POST":
        values = {f: str(request.POST.get(f, ""))[:20000] for f in FIELDS}
        try:
            saved = campaign_save(
                actor=actor, draft=Draft(**values), campaign_id=campaign.pk if campaign else None
            )
        except Refusal as refusal:
            context.update(error=refusal.message, errors=refusal.fields)
            status = 400
        else:
            return redirect("console:campaign", campaign_id=saved.pk)
    context["values"] = values
    return render(request, "console/campaigns/write.html", context, status=status)


@require_GET
@marketing_page
def show(request: HttpRequest, actor: Actor, allowed: list[str], campaign_id: int) -> HttpResponse:
    """Preview of a draft, or the progress of one being sent (refreshing itself)."""
    campaign = _campaign(allowed, campaign_id)
    subject, body = campaign_preview(campaign=campaign)
    counts = campaign_progress(campaign_id=campaign.pk)
    context = {
        "campaign": campaign,
        "purpose_name": dict(purpose_names(allowed)).get(campaign.purpose, campaign.purpose),
        "preview_subject": subject,
        "preview_body": body,
        "counts": counts,
        "total": sum(counts.values()),
        "open": counts["pending"] + counts["sending"],
        "done": sum(counts.values()) - counts["pending"] - counts["sending"],
    }
    return render(request, "console/campaigns/show.html", context)


@require_POST
@marketing_page
def send(request: HttpRequest, actor: Actor, allowed: list[str], campaign_id: int) -> HttpResponse:
    campaign = _campaign(allowed, campaign_id)
    try:
        campaign_start(actor=actor, campaign_id=campaign.pk)
    except Refusal as refusal:
        context = {"message": refusal.message}
        return render(request, "console/forbidden.html", context, status=409)
    return redirect("console:campaign", campaign_id=campaign.pk)
