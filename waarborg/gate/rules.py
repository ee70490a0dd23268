"""The gate's refusals about one subject, each written once in both of its forms.

A rule says, for one purpose, when a subject's state refuses it: ``refuses`` tests one subject
already read (``gate_fields``, ``gate_check``), ``keeps`` is the same test as a filter over many
(``gate_subjects``). The two forms stand side by side so they are changed together, and
``tests/test_rules_agree.py`` checks on every combination of states that they agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from waarborg.core.errors import Text
from waarborg.policy.rules import REASONS as PURPOSE_REASONS
from waarborg.policy.schema import Purpose
from waarborg.vault.models import PurposeState, Subject

GRANTED = PurposeState.Consent.GRANTED


@dataclass(frozen=True)
class Rule:
    reason: str
    refuses: Callable[[Purpose, Subject, PurposeState | None], bool]
    keeps: Callable[[Purpose, str], Any]  # a Q or a negated Exists


def _objected(spec: Purpose, state: PurposeState | None) -> bool:
    # Against direct marketing an objection is absolute; against a legitimate interest it holds
    # until compelling grounds are recorded (Art. 21).
    return (
        state is not None
        and state.objected
        and (spec.direct_marketing or not state.compelling_grounds)
    )


def _not_objected(spec: Purpose, purpose: str) -> Any:
    blocked = Q(objected=True) if spec.direct_marketing else Q(objected=True, compelling_grounds="")
    states = PurposeState.objects.filter(blocked, subject=OuterRef("pk"), purpose=purpose)
    return ~Exists(states)


def _consented(spec: Purpose, purpose: str) -> Q:
    if spec.basis != "consent":
        return Q()
    # A join rather than EXISTS: (subject, purpose) is unique, so no row repeats, and the planner
    # can start from the audience index instead of scanning every subject.
    return Q(states__purpose=purpose, states__consent=GRANTED)


RULES: tuple[Rule, ...] = (
    Rule(
        "erased",
        lambda spec, s, st: s.erased_at is not None,
        lambda spec, p: Q(erased_at__isnull=True),
    ),
    # Restricted data is only stored (Art. 18), but the person may still see it: a request
    # of their own is carried out under the purpose that answers requests.
    Rule(
        "restricted",
        lambda spec, s, st: s.restricted_at is not None and not spec.data_subject_requests,
        lambda spec, p: Q() if spec.data_subject_requests else Q(restricted_at__isnull=True),
    ),
    Rule(
        "not_applicable",
        lambda spec, s, st: s.kind not in spec.subject_kinds,
        lambda spec, p: Q(kind__in=spec.subject_kinds),
    ),
    Rule(
        "product_not_covered",
        lambda spec, s, st: spec.products is not None and s.product not in spec.products,
        lambda spec, p: Q() if spec.products is None else Q(product__in=spec.products),
    ),
    Rule("objected", lambda spec, s, st: _objected(spec, st), _not_objected),
    Rule(
        "no_consent",
        lambda spec, s, st: spec.basis == "consent" and (st is None or st.consent != GRANTED),
        _consented,
    ),
)


def subject_refusal(spec: Purpose, subject: Subject, state: PurposeState | None) -> str:
    """The first rule that refuses this subject for this purpose, or ""."""
    return next((r.reason for r in RULES if r.refuses(spec, subject, state)), "")


REASONS: dict[str, Text] = {
    **PURPOSE_REASONS,
    "not_found": _("This data subject does not exist."),
    "erased": _("This person's data has been erased."),
    "restricted": _("Processing is restricted: the data is only stored."),
    "objected": _("This person has objected to this purpose."),
    "no_consent": _("This person has not given (valid) consent for this purpose."),
    "integrity_error": _("This person's data cannot be decrypted; this has been recorded."),
    "not_applicable": _("This purpose does not apply to this kind of data subject."),
    "product_not_covered": _("This purpose does not apply to this person's product."),
}
