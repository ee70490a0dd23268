"""Writes of e-mail consent: sign-up with double opt-in, its confirmation, soft opt-in, and
withdrawal by an unsubscribe link. Every change goes through the gate's ledger writes, which
keep the proof row (text version, time, channel, source, policy version) and the audit entry in
one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waarborg.consent.mails import optin_mail_send_quietly
from waarborg.consent.models import OptinMail
from waarborg.consent.texts import consent_text, consent_text_keep
from waarborg.consent.unsubscribe import BAD_TOKEN, unsubscribe_token_read
from waarborg.core.actors import Actor
from waarborg.core.errors import Refusal
from waarborg.core.i18n import Lang
from waarborg.gate.subscribers import gate_subscriber_create, gate_subscriber_find
from waarborg.gate.writes import gate_consent_confirm, gate_consent_record, gate_soft_optin_record
from waarborg.policy.selectors import policy_current

# What a withdrawal records as its source on the proof row.
ONE_CLICK = "unsubscribe:one-click"
UNSUBSCRIBE_PAGE = "unsubscribe:page"
CONFIRM_SALT = "waarborg.consent.confirm"
# The person themselves, signing up on a form: the vault lets them create their own record.
SIGNUP_PERSON = Actor(kind="subject", name="subscribe-form")
BAD_CODE = _("This confirmation link is not valid or has expired.")


def marketing_purposes() -> list[str]:
    """The purposes of the policy in force that send messages on consent (direct marketing)."""
    purposes = policy_current().policy.purposes
    return [key for key, spec in purposes.items() if spec.direct_marketing]


def capture_actor() -> Actor:
    """Who acts when a person signs up, confirms or unsubscribes on waarborg's own pages:
    waarborg's capture, allowed only the direct-marketing purposes. The person is known by a
    signed link or their e-mail address, never by a login."""
    return Actor(kind="system", name="consent-capture", scopes=frozenset(marketing_purposes()))


@dataclass(frozen=True)
class Signup:
    """A sign-up form as sent: the purposes ticked and the version of each text shown."""

    email: str
    name: str
    versions: dict[str, str]  # purpose -> version of the consent text shown
    lang: Lang
    source: str  # where the form was: "form:waarborg" or "embed:<origin>"


def _checked(signup: Signup) -> list[str]:
    offered = marketing_purposes()
    chosen = [p for p in offered if p in signup.versions]
    if not chosen or set(signup.versions) - set(offered):
        raise Refusal("no_purpose", _("Choose at least one kind of message."))
    for purpose in chosen:
        if consent_text(purpose=purpose, lang=signup.lang).version != signup.versions[purpose]:
            message = _("The consent text has changed; please read it again and resend.")
            raise Refusal("consent_text_changed", message)
    return chosen


def _product() -> str:
    """The product a subscriber is filed under: the first free one of the policy."""
    products = policy_current().policy.products
    return next((k for k, p in products.items() if not p.paid), next(iter(products)))


def _subject(signup: Signup, actor: Actor, purpose: str) -> UUID:
    found = gate_subscriber_find(actor=actor, email=signup.email, purpose=purpose)
    if found is not None:
        return found
    fields = {"name": signup.name, "email": signup.email}
    return gate_subscriber_create(actor=SIGNUP_PERSON, product=_product(), fields=fields)


def subscribe_request(*, signup: Signup) -> OptinMail | None:
    """Record consent given on a form, pending until confirmed (double opt-in), and send the
    confirmation mail once the transaction commits. The answer is the same whether the address
    was on file or not; None when nothing waits for confirmation (all given before)."""
    chosen = _checked(signup)
    actor = capture_actor()
    with transaction.atomic():
        subject_id = _subject(signup, actor, chosen[0])
        codes: dict[str, str] = {}
        for purpose in chosen:
            consent_text_keep(
                text=consent_text(purpose=purpose, lang=signup.lang), lang=signup.lang
            )
            state = gate_consent_record(
                actor=actor,
                subject_id=subject_id,
                purpose=purpose,
                granted=True,
                text_version=signup.versions[purpose],
                channel="web",
                source=signup.source,
            )
            if state.confirmation_code:
                codes[purpose] = state.confirmation_code
        if not codes:
            return None
        mail = OptinMail.objects.create(
            subject_id=subject_id, purposes=list(codes), lang=signup.lang, created_at=timezone.now()
        )
        token = signing.dumps({"s": str(subject_id), "c": codes}, salt=CONFIRM_SALT, compress=True)
        to = signup.email
        transaction.on_commit(lambda: optin_mail_send_quietly(mail_id=mail.pk, to=to, token=token))
    return mail


def confirm_token_read(*, token: str) -> tuple[UUID, dict[str, str]]:
    try:
        data = signing.loads(token, salt=CONFIRM_SALT)
        codes = {str(p): str(c) for p, c in dict(data["c"]).items()}
        return UUID(str(data["s"])), codes
    except (signing.BadSignature, ValueError, TypeError, KeyError):
        raise Refusal("bad_code", BAD_CODE) from None


def subscribe_confirm(*, token: str) -> list[str]:
    """Confirm every purpose the link's codes still can (each code once, before it expires);
    the purposes confirmed now. Refused (``bad_code``) when none could be."""
    subject_id, codes = confirm_token_read(token=token)
    confirmed, last = [], Refusal("bad_code", BAD_CODE)
    for purpose, code in codes.items():
        try:
            gate_consent_confirm(
                actor=capture_actor(), subject_id=subject_id, purpose=purpose, code=code
            )
            confirmed.append(purpose)
        except Refusal as refusal:
            last = refusal
    if not confirmed:
        raise Refusal("bad_code", BAD_CODE) if last.code == "nothing_pending" else last
    return confirmed


def soft_optin_record(
    *,
    actor: Actor,
    subject_id: UUID,
    purpose: str,
    similar_products: bool,
    opt_out_offered: bool,
    source: str = "",
) -> str:
    """Tw 11.7 lid 3 for an existing customer, recorded as a soft opt-in (never as consent);
    refused with ``soft_optin_*`` codes when its conditions do not hold. The consent state."""
    state = gate_soft_optin_record(
        actor=actor,
        subject_id=subject_id,
        purpose=purpose,
        similar_products=similar_products,
        opt_out_offered=opt_out_offered,
        source=source,
    )
    return str(state.consent)


def unsubscribe_withdraw(*, token: str, source: str = ONE_CLICK) -> str:
    """Withdraw the consent the token names, at once; the purpose withdrawn. A person the vault
    no longer holds (erased) gets no mail anyway: that is no error for them."""
    subject_id, purpose = unsubscribe_token_read(token=token)
    if purpose not in marketing_purposes():
        raise Refusal("bad_token", BAD_TOKEN)
    try:
        gate_consent_record(
            actor=capture_actor(),
            subject_id=subject_id,
            purpose=purpose,
            granted=False,
            text_version="",
            channel="email",
            source=source,
        )
    except Refusal as refusal:
        if refusal.code != "not_found":
            raise
    return purpose
