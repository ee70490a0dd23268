"""What the codes of the log and the ledger mean, in words a person reads (gettext)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from waarborg.core.errors import Text
from waarborg.gate.rules import REASONS
from waarborg.vault.validation import GENDERS

ACTIONS: dict[str, Text] = {
    "gate.read": _("Read personal data"),
    "gate.check": _("Asked whether data may be used"),
    "gate.select": _("Selected a group of people"),
    "subject.lookup": _("Looked up an e-mail address"),
    "console.search": _("Searched for a person"),
    "subject.create": _("Registered a person"),
    "subject.update": _("Changed personal data"),
    "subject.erase": _("Erased personal data"),
    "subject.restrict": _("Restricted processing"),
    "subject.unrestrict": _("Lifted a restriction"),
    "policy.accept": _("Accepted the privacy statement"),
    "consent.grant": _("Consent given"),
    "consent.withdraw": _("Consent withdrawn"),
    "consent.confirm": _("Consent confirmed"),
    "consent.soft_opt_in": _("Soft opt-in recorded (existing customer)"),
    "consent.lookup": _("Looked up an address for a sign-up"),
    "consent.list": _("Read the consent history"),
    "objection.record": _("Objection recorded"),
    "objection.grounds": _("Compelling grounds recorded"),
    "objection.list": _("Read the objections"),
    "ledger.read": _("Read the consent and objection history"),
    "access_log.read": _("Read who accessed a person's data"),
    "api.refused": _("A change was refused"),
    "change.refused": _("A change was refused"),
    "token.create": _("Created an API token"),
    "token.revoke": _("Revoked an API token"),
    "staff.create": _("Created a staff account"),
    "keys.rotate": _("Rotated the encryption keys"),
}

EVENTS: dict[str, Text] = {
    "consent_given": _("Consent given"),
    "consent_confirmed": _("Consent confirmed (double opt-in)"),
    "soft_opt_in": _("Soft opt-in (existing customer, similar products)"),
    "consent_withdrawn": _("Consent withdrawn"),
    "objected": _("Objection"),
    "grounds_recorded": _("Compelling grounds recorded"),
}

CHANNELS: dict[str, Text] = {
    "web": _("website"),
    "app": _("app"),
    "email": _("e-mail"),
    "phone": _("phone"),
    "sms": _("text message"),
    "post": _("post"),
}

CONSENT: dict[str, Text] = {
    "none": _("not asked"),
    "pending": _("awaiting confirmation"),
    "granted": _("given"),
    "withdrawn": _("withdrawn"),
}

ALLOWED: Text = _("allowed")
REFUSED: Text = _("refused")


def words(table: dict[str, Text], code: str) -> Text:
    """The words for ``code``; an unknown code (an older version's) reads as itself, humanised."""
    return table.get(code) or code.replace("_", " ").replace(".", ": ")


# Why the vault refused a change (the gate's own reasons are in gate.rules.REASONS).
REFUSALS: dict[str, Text] = {
    "invalid_fields": _("some values were not valid"),
    "bad_channel": _("a channel that is not allowed"),
    "bad_code": _("a confirmation link that was not valid or had expired"),
    "nothing_pending": _("no consent awaited confirmation"),
    "email_taken": _("the e-mail address belongs to another person"),
    "not_consent_purpose": _("the purpose does not rest on consent"),
    "objection_not_applicable": _("no objection is possible to this purpose"),
    "grounds_not_applicable": _("compelling grounds do not apply here"),
    "invalid_request": _("the request was not valid"),
}


def reason_words(reason: str) -> Text:
    if not reason:
        return ""
    return REASONS.get(reason) or words(REFUSALS, reason)


def value_words(field: str, value: str) -> str:
    """A stored value as a person reads it: a coded one (gender) in words, the rest as it is."""
    if field == "gender" and value in GENDERS:
        return str(GENDERS[value])
    return value
