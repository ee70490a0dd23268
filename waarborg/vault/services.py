"""Writes to a subject's record: create, change, erase, restrict, accept the statement.

Each service is one transaction and writes its audit entry inside it. A system or staff user
records only fields that one of its purposes covers, and creates or changes a record only when it
acts for administration (the contract): checked here, so no front door can forget it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Mapping
from datetime import date
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waarborg.audit.services import audit_entry, audit_record, audit_record_many
from waarborg.core.actors import Actor
from waarborg.core.errors import Refusal
from waarborg.policy.models import PolicyVersion
from waarborg.policy.rules import REASONS, actor_refusal, fields_outside
from waarborg.policy.selectors import policy_current
from waarborg.vault import keys
from waarborg.vault.envelope import envelope_seal, value_aad
from waarborg.vault.erasures import (
    HELD,
    SHREDDED,
    ErasureRecord,
    erasure_record,
    subject_hold_only,
    subject_notes_clear,
    subject_shred,
)
from waarborg.vault.index import email_index, phone_index
from waarborg.vault.models import Acceptance, Subject
from waarborg.vault.validation import InvalidFields, fields_clean

logger = logging.getLogger("waarborg.vault")

# Keeping a customer's record is processing for the contract: creating or changing one needs it.
RECORD_PURPOSE = "administration"


class VaultError(Refusal):
    """An operation on the vault that cannot be done; nothing changed."""


ERASED = _("This person's data has been erased.")
UNKNOWN = _("Unknown data subject.")
RESTRICTED = _("Processing is restricted; data is only stored.")
NOT_WRITABLE = _("None of this system's purposes covers this field.")
LEDGER_UNAVAILABLE = _(
    "The erasure could not be recorded in the erasure ledger, so nothing was erased. Please try "
    "again later."
)
EMAIL_TAKEN = _("This e-mail address already belongs to another person on file.")


def subject_dek(subject: Subject) -> bytes:
    if subject.wrapped_dek is None:
        raise VaultError("erased", ERASED)
    ring = keys.keyring()
    return keys.unwrap(
        ring.get(subject.kek_id), bytes(subject.wrapped_dek), aad=keys.dek_aad(str(subject.id))
    )


def subject_locked(subject_id: UUID) -> Subject:
    """The subject's row, locked until the transaction ends; refused when unknown or erased."""
    subject = Subject.objects.select_for_update().filter(id=subject_id).first()
    if subject is None:
        raise VaultError("not_found", UNKNOWN)
    if subject.erased_at is not None:
        raise VaultError("erased", ERASED)
    return subject


def _apply(subject: Subject, dek: bytes, clean: Mapping[str, str | None]) -> None:
    values = dict(subject.values)
    for field, value in clean.items():
        if value is None:
            values.pop(field, None)
        else:
            values[field] = envelope_seal(dek, value, aad=value_aad(str(subject.id), field))
    subject.values = values
    if "email" in clean:
        email = clean["email"]
        subject.email_index = email_index(email) if email else None
    if "phone" in clean:
        phone = clean["phone"]
        subject.phone_index = phone_index(phone) if phone else None


def _save_unique(subject: Subject, **how: Any) -> None:
    """Save, refusing an e-mail address another living person has (a unique index decides, so
    two requests at once cannot both take it)."""
    try:
        with transaction.atomic():
            subject.save(**how)
    except IntegrityError as exc:
        if "email" not in str(exc):
            raise
        raise VaultError("email_taken", EMAIL_TAKEN) from None


def _check_writable(
    actor: Actor, action: str, subject_id: UUID | None, fields: Mapping[str, object]
) -> None:
    """Refuse, audited, a record a system or staff user may not make. The person themselves and
    background jobs act under their own rules."""
    if actor.kind not in ("system", "staff"):
        return
    policy = policy_current().policy
    reason = actor_refusal(policy, actor, RECORD_PURPOSE)
    outside = [] if reason else fields_outside(policy, actor, fields)
    if not reason and not outside:
        return
    audit_record(
        actor=actor,
        action=action,
        subject_id=subject_id,
        fields=outside,
        decision="refused",
        reason=reason or "scope_not_permitted",
    )
    if reason:
        refusal = VaultError(reason, REASONS[reason])
    else:
        fields_text = dict.fromkeys(outside, NOT_WRITABLE)
        refusal = VaultError("scope_not_permitted", REASONS["scope_not_permitted"], fields_text)
    refusal.audited = True
    raise refusal


def subject_build(*, product: str, fields: Mapping[str, object], kind: str = "customer") -> Subject:
    """Validate and encrypt a new subject without saving it (for bulk inserts)."""
    policy = policy_current().policy
    clean = fields_clean(policy=policy, product=product, values=fields)
    ring = keys.keyring()
    now = timezone.now()
    subject = Subject(kind=kind, product=product, created_at=now, updated_at=now)
    dek = os.urandom(32)
    subject.wrapped_dek = keys.wrap(ring.current, dek, aad=keys.dek_aad(str(subject.id)))
    subject.kek_id = ring.current_id
    _apply(subject, dek, clean)
    return subject


def subject_create(
    *,
    actor: Actor,
    product: str,
    fields: Mapping[str, object],
    kind: str = "customer",
    accepted_policy_version: str | None = None,
) -> Subject:
    _check_writable(actor, "subject.create", None, fields)
    subject = subject_build(product=product, fields=fields, kind=kind)
    with transaction.atomic():
        accepted = (
            None if accepted_policy_version is None else version_check(accepted_policy_version)
        )
        _save_unique(subject, force_insert=True)
        audit_record(
            actor=actor,
            action="subject.create",
            subject_id=subject.id,
            fields=list(subject.values),
            detail={"product": product},
        )
        if accepted is not None:
            _accept(subject=subject, actor=actor, digest=accepted, how="api")
    return subject


def subject_update(*, actor: Actor, subject_id: UUID, fields: Mapping[str, object]) -> Subject:
    """Change fields; ``None`` removes an optional one. Rejected whole if any value is bad."""
    _check_writable(actor, "subject.update", subject_id, fields)
    policy = policy_current().policy
    with transaction.atomic():
        subject = subject_locked(subject_id)
        if subject.restricted_at is not None:
            raise VaultError("restricted", RESTRICTED)
        clean = fields_clean(
            policy=policy,
            product=subject.product,
            values=fields,
            existing=frozenset(subject.values),
        )
        _apply(subject, subject_dek(subject), clean)
        subject.updated_at = timezone.now()
        _save_unique(subject, update_fields=["values", "email_index", "phone_index", "updated_at"])
        audit_record(
            actor=actor, action="subject.update", subject_id=subject.id, fields=list(clean)
        )
    return subject


def subject_erase(*, actor: Actor, subject_id: UUID, reason: str) -> Subject:
    """Crypto-shred: destroy the data key, the ciphertexts and the blind indexes in one step.

    The erasure ledger gets its record last, fsynced before the commit, so a restored backup
    erases this person again (waarborg/vault/erasures.py). If the ledger cannot be written,
    nothing is erased."""
    with transaction.atomic():
        subject = subject_locked(subject_id)
        erased_fields = list(subject.values)
        subject_shred(subject, timezone.now())
        subject.save(update_fields=SHREDDED)
        entry = audit_entry(
            actor=actor,
            action="subject.erase",
            subject_id=subject.id,
            fields=erased_fields,
            detail={"reason": reason},
        )
        audit_record_many([entry])  # one INSERT; it hands back the entry's id for the ledger
        try:
            erasure_record(ErasureRecord(subject.id, subject.erased_at, entry.id))
        except OSError as exc:
            logger.error("the erasure ledger cannot be written: %s", exc)
            raise VaultError("ledger_unavailable", LEDGER_UNAVAILABLE) from None
    return subject


def subject_erase_held(
    *, actor: Actor, subject_id: UUID, keep: Collection[str], held_until: date, reason: str
) -> list[str]:
    """Erase every value but ``keep``, which the law makes us keep (the books: art. 52 AWR):
    those stay restricted, only stored, until ``held_until`` (Art. 17(3)(b), 18). The notes
    about the person (an objection's words, compelling grounds) go with the rest. The data key
    stays for the kept values; ``subject_erase`` destroys it once the hold ends. Returns the
    fields erased now; called again, it erases nothing more. Like ``subject_erase`` it is
    recorded in the erasure ledger before it commits, with what was kept and until when, so a
    restored backup erases the rest again and keeps the books."""
    with transaction.atomic():
        subject = subject_locked(subject_id)
        gone = subject_hold_only(subject, keep, held_until)
        subject.save(update_fields=HELD)
        subject_notes_clear(subject)
        detail = {"reason": reason, "kept": sorted(subject.values), "until": held_until.isoformat()}
        entry = audit_entry(
            actor=actor, action="subject.erase", subject_id=subject.id, fields=gone, detail=detail
        )
        audit_record_many([entry])
        record = ErasureRecord(
            subject.id, timezone.now(), entry.id, tuple(sorted(subject.values)), held_until
        )
        try:
            erasure_record(record)
        except OSError as exc:
            logger.error("the erasure ledger cannot be written: %s", exc)
            raise VaultError("ledger_unavailable", LEDGER_UNAVAILABLE) from None
    return gone


def _set_restricted(actor: Actor, subject_id: UUID, reason: str, *, restricted: bool) -> Subject:
    with transaction.atomic():
        subject = subject_locked(subject_id)
        if restricted != (subject.restricted_at is not None):
            subject.restricted_at = timezone.now() if restricted else None
            subject.save(update_fields=["restricted_at"])
        action = "subject.restrict" if restricted else "subject.unrestrict"
        audit_record(actor=actor, action=action, subject_id=subject.id, detail={"reason": reason})
    return subject


def subject_restrict(*, actor: Actor, subject_id: UUID, reason: str) -> Subject:
    return _set_restricted(actor, subject_id, reason, restricted=True)


def subject_lift_restriction(*, actor: Actor, subject_id: UUID, reason: str) -> Subject:
    return _set_restricted(actor, subject_id, reason, restricted=False)


def version_check(digest: str, *, field: str = "accepted_policy_version") -> str:
    """The full hash of a statement version that was in force, given in full or by the short
    form the statement shows (12 characters); refused when there is no such version."""
    digest = digest.strip().lower()
    current = policy_current().digest
    if len(digest) >= 12 and current.startswith(digest):
        return current
    matches = list(PolicyVersion.objects.filter(digest__startswith=digest)[:2])
    if len(digest) >= 12 and len(matches) == 1:
        return matches[0].digest
    message = _("This version of the privacy statement does not exist.")
    raise InvalidFields({field: message})


def _accept(*, subject: Subject, actor: Actor, digest: str, how: str) -> Acceptance:
    acceptance = Acceptance.objects.create(
        subject=subject,
        policy_digest=digest,
        accepted_at=timezone.now(),
        how=how,
        source=actor.label,
    )
    audit_record(
        actor=actor,
        action="policy.accept",
        subject_id=subject.id,
        detail={"version": digest[:12], "how": how},
    )
    return acceptance


def policy_accept(*, actor: Actor, subject_id: UUID, digest: str, how: str) -> Acceptance:
    """C1: the subject accepted this version of the statement (again, after a change)."""
    with transaction.atomic():
        full = version_check(digest, field="version")
        return _accept(subject=subject_locked(subject_id), actor=actor, digest=full, how=how)
