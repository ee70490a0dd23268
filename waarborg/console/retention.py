"""Retention pages for the privacy officer: the plan (what is due under which rule) and the
deletion certificates of the sweeps, readable and exportable (CSV, JSON) for an auditor."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from waarborg.console.views import staff_page
from waarborg.core.actors import Actor
from waarborg.policy.rules import keeps_registers
from waarborg.policy.selectors import policy_current
from waarborg.retention.exports import certificate_csv, certificate_json
from waarborg.retention.selectors import (
    PlanLine,
    certificate_get,
    certificates_list,
    retention_plan,
)

_RANGES = ("counted_from", "due")


def _when(pair: list[str | None]) -> list[dt.datetime | None]:
    """A certificate's (first, last) ISO times, shown in the site's time zone."""
    return [dt.datetime.fromisoformat(v) if v else None for v in pair]


def _refused(request: HttpRequest) -> HttpResponse:
    message = _("Only the privacy officer reads the retention plan and the deletion certificates.")
    return render(request, "console/forbidden.html", {"message": message}, status=403)


# Records that go one by one on their own period (not with the person), in words.
_RECORDS = {"billing.invoice": gettext_lazy("invoices, each on its own period")}


def _plan_name(names: dict[str, str], line: PlanLine) -> str:
    name = names.get(line.purpose, line.purpose)
    if not line.record:
        return name
    return f"{name}: {_RECORDS.get(line.record, line.record)}"


@require_GET
@staff_page
def overview(request: HttpRequest, actor: Actor, purposes: list[str]) -> HttpResponse:
    policy = policy_current().policy
    if not keeps_registers(policy, actor):
        return _refused(request)
    names = {k: spec.name.get() for k, spec in policy.purposes.items()}
    plan = [(_plan_name(names, line), line) for line in retention_plan(at=timezone.now())]
    context = {"plan": plan, "certificates": certificates_list()[:100], "here": "retention"}
    return render(request, "console/retention.html", context)


@require_GET
@staff_page
def certificate(
    request: HttpRequest, actor: Actor, purposes: list[str], run_id: int, fmt: str = ""
) -> HttpResponse:
    policy = policy_current().policy
    if not keeps_registers(policy, actor):
        return _refused(request)
    run = certificate_get(run_id=run_id)
    if run is None:
        message = _("There is no deletion certificate with this number.")
        return render(request, "console/forbidden.html", {"message": message}, status=404)
    if fmt:
        writer, kind = (
            (certificate_csv, "text/csv")
            if fmt == "csv"
            else (certificate_json, "application/json")
        )
        response = StreamingHttpResponse(writer(run), content_type=f"{kind}; charset=utf-8")
        name = f"deletion-certificate-{run.id}.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response  # type: ignore[return-value] # staff_page passes any response on
    names = {k: spec.name.get() for k, spec in policy.purposes.items()}
    rules = [
        (names.get(r["purpose"], r["purpose"]), {**r, **{k: _when(r[k]) for k in _RANGES}})
        for r in run.summary.get("rules", [])
    ]
    context = {"run": run, "rules": rules, "here": "retention"}
    return render(request, "console/certificate.html", context)
