"""The consent and objection ledger: each change of a subject's standing towards a purpose is a
state (what the gate reads) and an event with its proof (what a person or an auditor reads),
written with its audit entry in one transaction by ``_ledger_write``."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waarborg.audit.services import audit_record
from waarborg.core.actors import Actor
from waarborg.core.errors import text_format
from waarborg.policy.rules import decides_objections
from waarborg.policy.schema import ConsentRules, Purpose
from waarborg.policy.selectors import policy_current
from waarborg.vault.envelope import note_label, note_seal
from waarborg.vault.models import PurposeEvent, PurposeState, Subject
from waarborg.vault.services import VaultError, subject_dek, subject_locked

# A fixed remark on the ledger event (not personal data): consent that ends an objection.
LIFTS_OBJECTION = "lifts the earlier objection to this purpose"

Change = Callable[[Subject, PurposeState], str]


def _purpose(key: str) -> Purpose:
    spec = policy_current().policy.purposes.get(key)
    if spec is None:
        raise VaultError(
            "unknown_purpose", text_format(_("Unknown purpose %(purpose)r."), purpose=key)
        )
    return spec


def consent_rules(purpose: str) -> ConsentRules:
    rules = _purpose(purpose).consent
    if rules is None:
        raise VaultError("not_consent_purpose", _("This purpose does not rest on consent."))
    return rules


@dataclass(frozen=True)
class Step:
    """One kind of ledger change: its event, its audit action, what it does to the state (it
    returns the event's note), the proof kept on the event and what the audit entry adds."""

    kind: PurposeEvent.Kind
    action: str
    change: Change
    proof: dict[str, str] = field(default_factory=dict)
    detail: Callable[[PurposeState], dict[str, Any]] | None = None


def _ledger_write(actor: Actor, subject_id: UUID, purpose: str, step: Step) -> PurposeState:
    """Lock the subject, apply the step's change to its state for ``purpose``, and record the
    event and the audit entry, all in one transaction."""
    digest = policy_current().digest
    recorded = dict(step.proof)
    source = recorded.pop("source", "") or actor.label
    with transaction.atomic():
        subject = subject_locked(subject_id)
        state, _created = PurposeState.objects.select_for_update().get_or_create(
            subject=subject, purpose=purpose, defaults={"updated_at": timezone.now()}
        )
        note = step.change(subject, state)
        state.updated_at = timezone.now()
        state.save()
        PurposeEvent.objects.create(
            subject=subject,
            purpose=purpose,
            kind=step.kind,
            at=state.updated_at,
            source=source,
            policy_digest=digest,
            note=note,
            **recorded,
        )
        extra = step.detail(state) if step.detail else None
        audit_record(
            actor=actor, action=step.action, subject_id=subject.id, purpose=purpose, detail=extra
        )
    return state


# How long the code in a confirmation link can be used.
CONFIRM_WITHIN = timedelta(days=7)


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def _consent(state: PurposeState) -> dict[str, Any]:
    return {"state": state.consent}


def _lift_objection(state: PurposeState) -> str:
    """Consent that is in force is the subject's own newer choice: it ends an earlier objection
    to the same (consent) purpose. The ledger event says so."""
    if not state.objected:
        return ""
    state.objected = False
    return LIFTS_OBJECTION


def _check_channel(rules: ConsentRules, channel: str) -> None:
    allowed = {*rules.channels, "web", "app"}
    if channel not in allowed:
        listed = ", ".join(sorted(allowed))  # what may be sent, not what was sent
        message = text_format(
            _("This channel is not allowed here; allowed: %(listed)s."), listed=listed
        )
        raise VaultError("bad_channel", message)


def consent_record(
    *,
    actor: Actor,
    subject_id: UUID,
    purpose: str,
    granted: bool,
    text_version: str,
    channel: str,
    source: str = "",
) -> PurposeState:
    """Give or withdraw consent, with proof. Under double opt-in every grant waits for the
    subject to confirm through the link sent to their address (``consent_confirm``), whatever
    channel it was given on; withdrawal is one step, always."""
    rules = consent_rules(purpose)
    _check_channel(rules, channel)

    code = secrets.token_urlsafe(16) if granted and rules.double_opt_in else ""

    def change(subject: Subject, state: PurposeState) -> str:
        nonlocal code
        if granted and state.consent == PurposeState.Consent.GRANTED:
            code = ""  # given again (a form sent twice): recorded, and stays in force
            return ""
        state.confirm_digest, state.confirm_expires = "", None
        if not granted:
            state.consent = PurposeState.Consent.WITHDRAWN
            return ""
        if code:  # waits for the person: only the code in the link they receive confirms it
            state.consent = PurposeState.Consent.PENDING
            state.confirm_digest = _digest(code)
            state.confirm_expires = timezone.now() + CONFIRM_WITHIN
            return ""
        state.consent = PurposeState.Consent.GRANTED
        return _lift_objection(state)

    kind = PurposeEvent.Kind.CONSENT_GIVEN if granted else PurposeEvent.Kind.CONSENT_WITHDRAWN
    proof = {"text_version": text_version, "channel": channel, "source": source}
    step = Step(kind, f"consent.{'grant' if granted else 'withdraw'}", change, proof, _consent)
    state = _ledger_write(actor, subject_id, purpose, step)
    state.confirmation_code = code
    return state


def consent_confirm(*, actor: Actor, subject_id: UUID, purpose: str, code: str) -> PurposeState:
    """The second step of double opt-in: the person followed the link sent to their address,
    which carries the single-use code ``consent_record`` issued. Without that code, or once it
    has been used or has expired, nothing is confirmed."""

    def change(subject: Subject, state: PurposeState) -> str:
        if state.consent != PurposeState.Consent.PENDING:
            raise VaultError("nothing_pending", _("No consent awaits confirmation."))
        expired = state.confirm_expires is None or state.confirm_expires < timezone.now()
        if expired or not hmac.compare_digest(state.confirm_digest, _digest(code)):
            raise VaultError("bad_code", _("This confirmation link is not valid or has expired."))
        state.confirm_digest, state.confirm_expires = "", None
        state.consent = PurposeState.Consent.GRANTED
        return _lift_objection(state)

    step = Step(
        PurposeEvent.Kind.CONSENT_CONFIRMED, "consent.confirm", change, {"channel": "email"}
    )
    return _ledger_write(actor, subject_id, purpose, step)


@dataclass(frozen=True)
class SoftOptIn:
    """What Telecommunicatiewet 11.7 lid 3 asks before mailing a customer without consent: the
    address came from a sale to this customer (``Subject.kind`` says so), the messages are about
    the controller's own similar products, and the customer could refuse when the address was
    collected (and may in every message, by its unsubscribe link)."""

    similar_products: bool
    opt_out_offered: bool
    source: str = ""


def _soft_optin_check(purpose: str, terms: SoftOptIn) -> None:
    if not consent_rules(purpose).direct_marketing:
        raise VaultError("soft_optin_not_marketing", _("Soft opt-in applies to direct marketing."))
    if not terms.similar_products:
        message = _("Soft opt-in is only for messages about similar products of our own.")
        raise VaultError("soft_optin_not_similar", message)
    if not terms.opt_out_offered:
        message = _("Soft opt-in needs the chance to refuse when the address was collected.")
        raise VaultError("soft_optin_no_opt_out", message)


def soft_optin_record(
    *, actor: Actor, subject_id: UUID, purpose: str, terms: SoftOptIn
) -> PurposeState:
    """Mail an existing customer about similar products without asking consent first (Tw 11.7
    lid 3), recorded as such: its own event kind, never confused with consent. Refused for
    anyone who is not a customer and for anyone who said no before (a withdrawal or an
    objection holds)."""
    _soft_optin_check(purpose, terms)

    def change(subject: Subject, state: PurposeState) -> str:
        if subject.kind != "customer" or not subject.product:
            message = _("Soft opt-in is only for existing customers.")
            raise VaultError("soft_optin_not_customer", message)
        if state.objected or state.consent == PurposeState.Consent.WITHDRAWN:
            message = _("This person refused these messages; soft opt-in cannot override that.")
            raise VaultError("soft_optin_opted_out", message)
        if state.consent != PurposeState.Consent.GRANTED:
            state.consent = PurposeState.Consent.GRANTED
            state.confirm_digest, state.confirm_expires = "", None
        return ""

    proof = {"channel": "email", "source": terms.source}
    step = Step(PurposeEvent.Kind.SOFT_OPT_IN, "consent.soft_opt_in", change, proof, _consent)
    return _ledger_write(actor, subject_id, purpose, step)


def _seal(subject: Subject, kind: str, purpose: str, text: str) -> str:
    """Free text about a person (compelling grounds, an objection's note) is personal data: it is
    encrypted under the subject's own key, so erasure shreds it with the rest."""
    if not text:
        return ""
    label = note_label(kind, purpose)
    return note_seal(subject_dek(subject), text, subject_id=str(subject.id), label=label)


def objection_record(
    *, actor: Actor, subject_id: UUID, purpose: str, note: str = ""
) -> PurposeState:
    """Object to a purpose. Against direct marketing it is absolute; against a
    legitimate-interest purpose it holds until a privacy officer records compelling grounds."""
    spec = _purpose(purpose)
    if not spec.objectable:
        message = _(
            "Objection applies to direct marketing and to processing based on legitimate interest."
        )
        raise VaultError("objection_not_applicable", message)

    def change(subject: Subject, state: PurposeState) -> str:
        state.objected = True
        state.compelling_grounds = ""
        state.confirm_digest, state.confirm_expires = "", None
        if spec.direct_marketing:
            state.consent = PurposeState.Consent.WITHDRAWN
        return _seal(subject, "objection", purpose, note)

    step = Step(PurposeEvent.Kind.OBJECTED, "objection.record", change)
    return _ledger_write(actor, subject_id, purpose, step)


def grounds_record(*, actor: Actor, subject_id: UUID, purpose: str, grounds: str) -> PurposeState:
    """A privacy officer records compelling grounds that override an objection (Art. 21(1))."""
    spec = _purpose(purpose)
    if not decides_objections(policy_current().policy, actor):
        message = _("Only a role that decides on objections can record this.")
        raise VaultError("role_not_permitted", message)
    if spec.basis != "legitimate_interest" or not grounds.strip():
        message = _("Compelling grounds apply only to legitimate interest, with an explanation.")
        raise VaultError("grounds_not_applicable", message)

    def change(subject: Subject, state: PurposeState) -> str:
        state.compelling_grounds = _seal(subject, "grounds", purpose, grounds.strip())
        return state.compelling_grounds

    step = Step(PurposeEvent.Kind.GROUNDS_RECORDED, "objection.grounds", change)
    return _ledger_write(actor, subject_id, purpose, step)
