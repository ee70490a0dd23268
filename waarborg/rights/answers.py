"""What the answer to a request says, from what its steps recorded (their results name fields,
purposes and counts, never values), for the answer letter (``letters.py``); the answer step
itself, which closes the request, is in ``execute.py``. A partial answer (a system that could
not, data the law makes us keep) tells the person they can complain to the Autoriteit
Persoonsgegevens and go to court (Art. 12(4))."""

from __future__ import annotations

from datetime import date
from typing import Any

from waarborg.connectors.registry import system_name, vault_key
from waarborg.policy.rules import purpose_covers_field
from waarborg.policy.schema import Policy, localized
from waarborg.policy.selectors import policy_current
from waarborg.rights.exports import export_link
from waarborg.rights.models import Request, Step


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
        if s.action == Step.Action.RECTIFY and s.system == vault_key():
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
