"""The last step of a request: the answer. Built from what the other steps recorded (their
results name fields, purposes and counts, never values), it closes the request and mails the
letter; a partial answer (a system that could not, data the law makes us keep) tells the person
they can complain to the Autoriteit Persoonsgegevens and go to court (Art. 12(4))."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from waarborg.audit.services import audit_record
from waarborg.connectors.registry import system_name
from waarborg.connectors.vault import STEPS
from waarborg.gate.requesters import RIGHTS
from waarborg.policy.rules import purpose_covers_field
from waarborg.policy.schema import Policy, localized
from waarborg.policy.selectors import policy_current
from waarborg.rights.exports import export_archive, export_link, export_store
from waarborg.rights.letters import letter_prepare
from waarborg.rights.models import Letter, Request, Step
from waarborg.rights.steps import step_done, step_locked

OPEN_ONLY = (Request.Status.OPEN,)


def answer_build(step: Step) -> None:
    """Build the export (access, portability), close the request and record its letter."""
    request = step.request
    others = list(request.steps.exclude(pk=step.pk).order_by("position"))
    retrieves = [s for s in others if s.action == Step.Action.RETRIEVE]
    archive = export_archive(request, retrieves) if retrieves else None
    partial = answer_partial(others)
    with transaction.atomic():
        locked = step_locked(step)
        current = Request.objects.select_for_update().get(pk=request.pk)
        answered = current.status in OPEN_ONLY
        if answered:
            if archive is not None:
                export_store(current, archive)
            current.status, current.closed_at = Request.Status.DONE, timezone.now()
            current.save(update_fields=["status", "closed_at"])
            audit_record(
                actor=STEPS,
                action="rights.answer",
                subject_id=current.subject_id,
                purpose=RIGHTS,
                detail={"request": current.reference, "partial": partial},
            )
            letter_prepare(request=current, kind=Letter.Kind.ANSWER)
        Step.objects.filter(request=request, action=Step.Action.RETRIEVE).update(payload=None)
        result = {"partial": partial, "export": archive is not None, "answered": answered}
        step_done(locked, result=result)


def answer_partial(steps: list[Step]) -> bool:
    """Whether some of the request could not be done: a failed step, or data kept."""
    failed = any(s.status == Step.Status.FAILED for s in steps)
    return failed or any(s.result.get("kept") for s in steps if s.action == Step.Action.ERASE)


def _system(key: str, lang: str) -> str:
    name = system_name(key)
    return localized(name, lang) if name else key


def _purposes(policy: Policy, keys: list[str], lang: str) -> list[str]:
    return [localized(policy.purposes[k].name, lang) for k in keys if k in policy.purposes]


def _fields(policy: Policy, keys: list[str], lang: str) -> list[str]:
    """The labels of ``keys``, in the policy's order of fields."""
    return [localized(spec.label, lang) for f, spec in policy.fields.items() if f in keys]


def answer_context(request: Request) -> dict[str, Any]:
    """What the answer letter says, per right, from the steps' results."""
    policy = policy_current().policy
    lang = "en" if request.language == "en" else "nl"
    steps = list(request.steps.order_by("position"))
    done = [s for s in steps if s.status == Step.Status.DONE]
    context: dict[str, Any] = {
        "partial": answer_partial(steps),
        "failed": [_system(s.system, lang) for s in steps if s.status == Step.Status.FAILED],
        "restricted": [_system(s.system, lang) for s in done if s.action == Step.Action.RESTRICT],
    }
    for s in done:
        if s.action == Step.Action.ERASE and s.system and s.result.get("kept"):
            ground = policy.purposes.get(s.result.get("ground", ""))
            context["kept"] = {
                "fields": _fields(policy, s.result["kept"], lang),
                "ground": localized(ground.name, lang) if ground else "",
                "reference": s.result.get("reference", ""),
                "until": date.fromisoformat(s.result["until"]),
            }
        if s.action == Step.Action.ERASE:
            context.setdefault("erased", []).append(_system(s.system, lang))
        if s.action == Step.Action.OBJECT:
            context["objection"] = {
                "marketing": _purposes(policy, s.result.get("direct_marketing", []), lang),
                "interest": _purposes(policy, s.result.get("legitimate_interest", []), lang),
            }
        if s.action == Step.Action.RECTIFY:
            context["rectified"] = {
                "fields": _fields(policy, s.result.get("fields", []), lang),
                "recipients": [
                    localized(policy.recipients[r].name, lang)
                    for r in s.result.get("recipients", [])
                    if r in policy.recipients
                ],
            }
    link = export_link(request)
    if link is not None:
        context["download_url"], context["download_until"] = link
    return context


def rectify_recipients(policy: Policy, fields: list[str]) -> list[str]:
    """The recipients (Art. 19) of the purposes that cover any changed field: they are told of
    the correction. In the policy's order."""
    found = {
        r
        for spec in policy.purposes.values()
        if any(purpose_covers_field(policy, spec, f) for f in fields)
        for r in spec.recipients
    }
    return [r for r in policy.recipients if r in found]
