"""Writes to the vault. Each service is one transaction and writes its audit entry inside it."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils import timezone

from waarborg.audit.models import AuditEntry
from waarborg.audit.services import audit_record
from waarborg.core.actors import Actor, Message
from waarborg.policy.schema import ConsentRules
from waarborg.policy.selectors import policy_current
from waarborg.vault import keys
from waarborg.vault.models import Acceptance, PurposeEvent, PurposeState, Subject, VaultKey
from waarborg.vault.validation import InvalidFields, fields_clean

_index_keys: dict[str, bytes] = {}


class VaultError(Exception):
    """An operation that cannot be done; ``message`` says why in nl and en."""

    def __init__(self, code: str, message: Message) -> None:
        super().__init__(message.en)
        self.code = code
        self.message = message


def _index_key() -> bytes:
    """The blind-index key, created on first use in its own savepoint. It is kept for the process
    only once its row is known to be committed: inside a transaction (which may yet roll back,
    taking a freshly made key with it) it is cached when that transaction commits."""
    ring = keys.keyring()
    cached = _index_keys.get(ring.current_id)
    if cached is not None:
        return cached
    row = VaultKey.objects.filter(name="blind_index").first()
    if row is None:
        try:
            with transaction.atomic():
                row = VaultKey.objects.create(
                    name="blind_index",
                    wrapped=keys.wrap(ring.current, os.urandom(32), aad=b"vaultkey:blind_index"),
                    kek_id=ring.current_id,
                )
        except IntegrityError:  # another process made it first
            row = VaultKey.objects.get(name="blind_index")
    key = keys.unwrap(ring.get(row.kek_id), bytes(row.wrapped), aad=b"vaultkey:blind_index")
    current_id = ring.current_id
    if transaction.get_connection().in_atomic_block:
        # The row may have been made by this very transaction; cache it only if that commits.
        transaction.on_commit(lambda: _index_keys.setdefault(current_id, key))
    else:
        _index_keys[current_id] = key
    return key


def email_index(email: str) -> str:
    """HMAC blind index of an e-mail address: equal addresses match, the address is not stored."""
    normal = email.strip().lower()
    return hmac.new(_index_key(), normal.encode("utf-8"), hashlib.sha256).hexdigest()


def _dek(subject: Subject) -> bytes:
    if subject.wrapped_dek is None:
        raise VaultError(
            "erased", Message("Deze persoon is gewist.", "This person has been erased.")
        )
    ring = keys.keyring()
    return keys.unwrap(
        ring.get(subject.kek_id), bytes(subject.wrapped_dek), aad=keys.dek_aad(str(subject.id))
    )


def _apply(subject: Subject, dek: bytes, clean: Mapping[str, str | None]) -> None:
    values = dict(subject.values)
    for field, value in clean.items():
        if value is None:
            values.pop(field, None)
        else:
            values[field] = keys.seal_value(dek, value, aad=keys.value_aad(str(subject.id), field))
    subject.values = values
    if "email" in clean:
        email = clean["email"]
        subject.email_index = email_index(email) if email else None


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
    subject = subject_build(product=product, fields=fields, kind=kind)
    with transaction.atomic():
        if accepted_policy_version is not None:
            _check_version(accepted_policy_version)
        subject.save(force_insert=True)
        audit_record(
            actor=actor,
            action="subject.create",
            subject_id=subject.id,
            fields=list(subject.values),
            detail={"product": product},
        )
        if accepted_policy_version is not None:
            _accept(subject=subject, actor=actor, digest=accepted_policy_version, how="api")
    return subject


def _locked(subject_id: UUID) -> Subject:
    subject = Subject.objects.select_for_update().filter(id=subject_id).first()
    if subject is None:
        raise VaultError("not_found", Message("Onbekende persoon.", "Unknown data subject."))
    if subject.erased_at is not None:
        raise VaultError(
            "erased", Message("Deze persoon is gewist.", "This person has been erased.")
        )
    return subject


def subject_update(*, actor: Actor, subject_id: UUID, fields: Mapping[str, object]) -> Subject:
    """Change fields; ``None`` removes an optional one. Rejected whole if any value is bad."""
    policy = policy_current().policy
    with transaction.atomic():
        subject = _locked(subject_id)
        if subject.restricted_at is not None:
            raise VaultError(
                "restricted",
                Message(
                    "De verwerking is beperkt; gegevens worden alleen bewaard.",
                    "Processing is restricted; data is only stored.",
                ),
            )
        clean = fields_clean(
            policy=policy,
            product=subject.product,
            values=fields,
            existing=frozenset(subject.values),
        )
        _apply(subject, _dek(subject), clean)
        subject.updated_at = timezone.now()
        subject.save(update_fields=["values", "email_index", "updated_at"])
        audit_record(
            actor=actor, action="subject.update", subject_id=subject.id, fields=list(clean)
        )
    return subject


def subject_erase(*, actor: Actor, subject_id: UUID, reason: str) -> Subject:
    """Crypto-shred: destroy the data key, the ciphertexts and the blind index in one step."""
    with transaction.atomic():
        subject = _locked(subject_id)
        erased_fields = list(subject.values)
        subject.wrapped_dek = None
        subject.values = {}
        subject.email_index = None
        subject.erased_at = timezone.now()
        subject.save(update_fields=["wrapped_dek", "values", "email_index", "erased_at"])
        audit_record(
            actor=actor,
            action="subject.erase",
            subject_id=subject.id,
            fields=erased_fields,
            detail={"reason": reason},
        )
    return subject


def subject_restrict(*, actor: Actor, subject_id: UUID, reason: str) -> Subject:
    with transaction.atomic():
        subject = _locked(subject_id)
        if subject.restricted_at is None:
            subject.restricted_at = timezone.now()
            subject.save(update_fields=["restricted_at"])
        audit_record(
            actor=actor, action="subject.restrict", subject_id=subject.id, detail={"reason": reason}
        )
    return subject


def subject_lift_restriction(*, actor: Actor, subject_id: UUID, reason: str) -> Subject:
    with transaction.atomic():
        subject = _locked(subject_id)
        subject.restricted_at = None
        subject.save(update_fields=["restricted_at"])
        audit_record(
            actor=actor,
            action="subject.unrestrict",
            subject_id=subject.id,
            detail={"reason": reason},
        )
    return subject


def _check_version(digest: str) -> None:
    from waarborg.policy.models import PolicyVersion

    if (
        not PolicyVersion.objects.filter(digest=digest).exists()
        and digest != policy_current().digest
    ):
        raise InvalidFields(
            {
                "accepted_policy_version": Message(
                    "Deze versie van de privacyverklaring bestaat niet.",
                    "This version of the privacy statement does not exist.",
                )
            }
        )


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
    with transaction.atomic():
        _check_version(digest)
        return _accept(subject=_locked(subject_id), actor=actor, digest=digest, how=how)


# --- consent and objection -----------------------------------------------------------------


def _purpose(key: str) -> None:
    if key not in policy_current().policy.purposes:
        raise VaultError(
            "unknown_purpose", Message(f"Onbekend doeleinde {key!r}.", f"Unknown purpose {key!r}.")
        )


def _consent_rules(purpose: str) -> ConsentRules:
    _purpose(purpose)
    rules = policy_current().policy.purposes[purpose].consent
    if rules is None:
        raise VaultError(
            "not_consent_purpose",
            Message(
                "Voor dit doeleinde wordt geen toestemming gevraagd.",
                "This purpose does not rest on consent.",
            ),
        )
    return rules


def _state(subject: Subject, purpose: str) -> PurposeState:
    state, _ = PurposeState.objects.select_for_update().get_or_create(
        subject=subject, purpose=purpose, defaults={"updated_at": timezone.now()}
    )
    return state


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
    """Give or withdraw consent, with proof. E-mail consent under double opt-in stays pending
    until ``consent_confirm``; withdrawal is one step, always."""
    loaded = policy_current()
    rules = _consent_rules(purpose)
    allowed = {*rules.channels, "web", "app"}
    if channel not in allowed:
        listed = ", ".join(sorted(allowed))  # what may be sent, not what was sent
        raise VaultError(
            "bad_channel",
            Message(
                f"Dit kanaal is hier niet mogelijk; wel: {listed}.",
                f"This channel is not allowed here; allowed: {listed}.",
            ),
        )
    note = ""
    with transaction.atomic():
        subject = _locked(subject_id)
        state = _state(subject, purpose)
        if granted:
            # Under double opt-in every grant waits for the subject to confirm through the link
            # sent to their address, whatever channel it was given on.
            pending = rules.double_opt_in
            kind = PurposeEvent.Kind.CONSENT_GIVEN
            state.consent = (
                PurposeState.Consent.PENDING if pending else PurposeState.Consent.GRANTED
            )
            if not pending:
                note = _lift_objection(state)
        else:
            kind = PurposeEvent.Kind.CONSENT_WITHDRAWN
            state.consent = PurposeState.Consent.WITHDRAWN
        state.updated_at = timezone.now()
        state.save()
        PurposeEvent.objects.create(
            subject=subject,
            purpose=purpose,
            kind=kind,
            at=state.updated_at,
            text_version=text_version,
            channel=channel,
            source=source or actor.label,
            policy_digest=loaded.digest,
            note=note,
        )
        audit_record(
            actor=actor,
            action=f"consent.{'grant' if granted else 'withdraw'}",
            subject_id=subject.id,
            purpose=purpose,
            detail={"state": state.consent},
        )
    return state


SEALED = "enc:"


def _seal_note(subject: Subject, label: str, text: str) -> str:
    """Free text about a person (compelling grounds, an objection's note) is personal data: it is
    encrypted under the subject's own key, so erasure shreds it with the rest."""
    if not text:
        return ""
    aad = keys.value_aad(str(subject.id), label)
    return SEALED + keys.seal_value(_dek(subject), text, aad=aad)


def _lift_objection(state: PurposeState) -> str:
    """Consent that is in force is the subject's own newer choice: it ends an earlier objection
    to the same (consent) purpose. The ledger event says so."""
    if not state.objected:
        return ""
    state.objected = False
    return "lifts the earlier objection to this purpose"


def consent_confirm(*, actor: Actor, subject_id: UUID, purpose: str) -> PurposeState:
    """The second step of double opt-in: the subject clicked the link sent to the address."""
    with transaction.atomic():
        subject = _locked(subject_id)
        state = _state(subject, purpose)
        if state.consent != PurposeState.Consent.PENDING:
            raise VaultError(
                "nothing_pending",
                Message(
                    "Er wacht geen toestemming op bevestiging.", "No consent awaits confirmation."
                ),
            )
        state.consent = PurposeState.Consent.GRANTED
        note = _lift_objection(state)
        state.updated_at = timezone.now()
        state.save()
        PurposeEvent.objects.create(
            subject=subject,
            purpose=purpose,
            kind=PurposeEvent.Kind.CONSENT_CONFIRMED,
            at=state.updated_at,
            channel="email",
            source=actor.label,
            policy_digest=policy_current().digest,
            note=note,
        )
        audit_record(actor=actor, action="consent.confirm", subject_id=subject.id, purpose=purpose)
    return state


def objection_record(
    *, actor: Actor, subject_id: UUID, purpose: str, note: str = ""
) -> PurposeState:
    """Object to a purpose. Against direct marketing it is absolute; against a
    legitimate-interest purpose it holds until a privacy officer records compelling grounds."""
    loaded = policy_current()
    _purpose(purpose)
    spec = loaded.policy.purposes[purpose]
    if not spec.objectable:
        raise VaultError(
            "objection_not_applicable",
            Message(
                "Bezwaar is mogelijk tegen direct marketing en tegen verwerking op grond van "
                "gerechtvaardigd belang.",
                "Objection applies to direct marketing and to processing based on legitimate "
                "interest.",
            ),
        )
    with transaction.atomic():
        subject = _locked(subject_id)
        state = _state(subject, purpose)
        state.objected = True
        state.compelling_grounds = ""
        if spec.direct_marketing:
            state.consent = PurposeState.Consent.WITHDRAWN
        state.updated_at = timezone.now()
        state.save()
        PurposeEvent.objects.create(
            subject=subject,
            purpose=purpose,
            kind=PurposeEvent.Kind.OBJECTED,
            at=state.updated_at,
            source=actor.label,
            policy_digest=loaded.digest,
            note=_seal_note(subject, f"objection:{purpose}", note),
        )
        audit_record(actor=actor, action="objection.record", subject_id=subject.id, purpose=purpose)
    return state


def grounds_record(*, actor: Actor, subject_id: UUID, purpose: str, grounds: str) -> PurposeState:
    """A privacy officer records compelling grounds that override an objection (Art. 21(1))."""
    loaded = policy_current()
    _purpose(purpose)
    spec = loaded.policy.purposes[purpose]
    roles = loaded.policy.roles
    if not any(roles[r].decides_objections for r in actor.roles if r in roles):
        raise VaultError(
            "role_not_permitted",
            Message(
                "Alleen een rol die over bezwaren beslist kan dit vastleggen.",
                "Only a role that decides on objections can record this.",
            ),
        )
    if spec.basis != "legitimate_interest" or not grounds.strip():
        raise VaultError(
            "grounds_not_applicable",
            Message(
                "Dwingende gronden kunnen alleen bij gerechtvaardigd belang, met een toelichting.",
                "Compelling grounds apply only to legitimate interest, with an explanation.",
            ),
        )
    with transaction.atomic():
        subject = _locked(subject_id)
        state = _state(subject, purpose)
        sealed = _seal_note(subject, f"grounds:{purpose}", grounds.strip())
        state.compelling_grounds = sealed
        state.updated_at = timezone.now()
        state.save()
        PurposeEvent.objects.create(
            subject=subject,
            purpose=purpose,
            kind=PurposeEvent.Kind.GROUNDS_RECORDED,
            at=state.updated_at,
            source=actor.label,
            policy_digest=loaded.digest,
            note=sealed,
        )
        audit_record(
            actor=actor, action="objection.grounds", subject_id=subject.id, purpose=purpose
        )
    return state


def subjects_bulk_create(
    *,
    actor: Actor,
    items: Sequence[tuple[str, Mapping[str, object], list[str]]],
    accepted_policy_version: str,
) -> int:
    """Create many subjects in one transaction: (product, fields, purposes consented to).

    For loading data in bulk (demo, imports). Each subject is validated and encrypted exactly as
    ``subject_create`` does, each purpose must be one that takes consent, and the accepted version
    must exist; every creation and consent is audited. Any bad item rejects the batch.
    """
    from waarborg.audit.services import audit_entry, audit_record_many

    loaded = policy_current()
    for purpose in sorted({p for _, _, purposes in items for p in purposes}):
        _consent_rules(purpose)
    subjects: list[Subject] = []
    for product, fields, _ in items:
        subjects.append(subject_build(product=product, fields=fields))
    now = timezone.now()
    with transaction.atomic():
        _check_version(accepted_policy_version)
        Subject.objects.bulk_create(subjects, batch_size=1000)
        Acceptance.objects.bulk_create(
            [
                Acceptance(
                    subject=s,
                    policy_digest=accepted_policy_version,
                    accepted_at=now,
                    how="signup",
                    source=actor.label,
                )
                for s in subjects
            ],
            batch_size=1000,
        )
        states: list[PurposeState] = []
        events: list[PurposeEvent] = []
        entries: list[AuditEntry] = []
        for subject, (_, _, purposes) in zip(subjects, items, strict=True):
            entries.append(
                audit_entry(
                    actor=actor,
                    action="subject.create",
                    subject_id=subject.id,
                    fields=list(subject.values),
                    detail={"product": subject.product},
                )
            )
            entries.append(
                audit_entry(
                    actor=actor,
                    action="policy.accept",
                    subject_id=subject.id,
                    detail={"version": accepted_policy_version[:12], "how": "signup"},
                )
            )
            for purpose in purposes:
                states.append(
                    PurposeState(
                        subject=subject,
                        purpose=purpose,
                        consent=PurposeState.Consent.GRANTED,
                        updated_at=now,
                    )
                )
                # Bulk-loaded consent counts as given and, where double opt-in applies,
                # confirmed: both steps are recorded, as consent_record + consent_confirm would.
                kinds = [PurposeEvent.Kind.CONSENT_GIVEN]
                rules = loaded.policy.purposes[purpose].consent
                if rules is not None and rules.double_opt_in:
                    kinds.append(PurposeEvent.Kind.CONSENT_CONFIRMED)
                events.extend(
                    PurposeEvent(
                        subject=subject,
                        purpose=purpose,
                        kind=kind,
                        at=now,
                        text_version="demo-1",
                        channel="web",
                        source=actor.label,
                        policy_digest=loaded.digest,
                    )
                    for kind in kinds
                )
                entries.append(
                    audit_entry(
                        actor=actor, action="consent.grant", subject_id=subject.id, purpose=purpose
                    )
                )
        PurposeState.objects.bulk_create(states, batch_size=1000)
        PurposeEvent.objects.bulk_create(events, batch_size=1000)
        audit_record_many(entries)
    return len(subjects)
