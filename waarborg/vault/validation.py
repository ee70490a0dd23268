"""Checking personal values for a product, with well-kept libraries and messages in nl and en."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping

import phonenumbers
from django.utils.translation import gettext_lazy as _
from email_validator import EmailNotValidError, ValidatedEmail, validate_email
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.nl import postcode as nl_postcode

from waarborg.core.errors import Refusal, Text, text_format
from waarborg.policy.checks import category_covers
from waarborg.policy.schema import Policy

GENDERS: dict[str, Text] = {
    "female": _("female"),
    "male": _("male"),
    "other": _("other"),
    "not_stated": _("not stated"),
}
MAX_LENGTH = 200
INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn"}  # control, format (bidi overrides), surrogate, ...


class InvalidFields(Refusal):
    """One or more values cannot be stored; ``fields`` maps each bad field to its message."""

    def __init__(self, errors: dict[str, Text]) -> None:
        super().__init__("invalid_fields", _("One or more fields are not valid."), errors)

    @property
    def errors(self) -> dict[str, Text]:
        return self.fields


def _email(value: str) -> str:
    return str(_validated(value).normalized)


def _validated(value: str) -> ValidatedEmail:
    """An address in one canonical form, so look-alikes are one person: full-width and other
    compatibility forms folded (NFKC), the part before the @ in plain ASCII, the domain checked
    by IDNA 2008, with no label mixing Latin, Cyrillic and Greek letters."""
    try:
        found = validate_email(
            unicodedata.normalize("NFKC", value), check_deliverability=False, allow_smtputf8=False
        )
    except EmailNotValidError:
        raise _Bad(_("This is not a valid e-mail address.")) from None
    if any(len(_scripts(label) & CONFUSABLE) > 1 for label in found.domain.split(".")):
        raise _Bad(_("The domain of this address mixes alphabets; check how it is spelled."))
    return found


# Alphabets whose letters look alike; a label may use one of them (CJK scripts mix by nature).
CONFUSABLE = {"LATIN", "CYRILLIC", "GREEK"}


def _scripts(label: str) -> set[str]:
    """The alphabets of a domain label's letters, by the first word of their Unicode names."""
    return {unicodedata.name(c, "?").split()[0] for c in label if c.isalpha()}


def email_key(value: str) -> str | None:
    """What the blind index of an address is made of: the canonical address with its domain in
    ASCII as IDNA 2008 writes it (as validation checked it), lower case; None when invalid."""
    try:
        found = _validated(" ".join(value.split()))
    except _Bad:
        return None
    return f"{found.local_part}@{found.ascii_domain}".lower()


def _phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "NL")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise _Bad(_("This is not a valid phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _iban(value: str) -> str:
    try:
        return str(IBAN(value).compact)
    except (SchwiftyException, ValueError):
        raise _Bad(_("This is not a valid IBAN.")) from None


def _postcode(value: str) -> str:
    try:
        return str(nl_postcode.validate(value))
    except StdnumError:
        raise _Bad(_("This is not a valid Dutch postcode (for example 1234 AB).")) from None


def _gender(value: str) -> str:
    if value not in GENDERS:
        choices = ", ".join(GENDERS)
        raise _Bad(text_format(_("Choose one of: %(choices)s."), choices=choices))
    return value


def _house_number(value: str) -> str:
    if not value[:1].isdigit() or len(value) > 16:
        raise _Bad(_("A house number starts with a digit."))
    return value


class _Bad(Exception):
    def __init__(self, message: Text) -> None:
        self.message = message


_CHECKS: dict[str, Callable[[str], str]] = {
    "email": _email,
    "phone": _phone,
    "iban": _iban,
    "postcode": _postcode,
    "gender": _gender,
    "house_number": _house_number,
}


def _clean_one(field: str, raw: object) -> str:
    if not isinstance(raw, str):
        raise _Bad(_("This must be text."))
    if any(unicodedata.category(c) in INVISIBLE and c not in "\t\n\r" for c in raw):
        # Control characters and bidirectional overrides make a value read other than it is.
        raise _Bad(_("This contains invisible control characters."))
    value = " ".join(raw.split())
    if not value:
        raise _Bad(_("This field is empty."))
    if len(value) > MAX_LENGTH:
        raise _Bad(text_format(_("At most %(limit)d characters."), limit=MAX_LENGTH))
    check = _CHECKS.get(field)
    return check(value) if check else value


def fields_clean(
    *,
    policy: Policy,
    product: str,
    values: Mapping[str, object],
    existing: frozenset[str] = frozenset(),
) -> dict[str, str | None]:
    """Validate ``values`` for ``product``. ``None`` removes an optional field.

    ``existing`` are the fields the subject already has (for an update); required fields must be
    present afterwards. Raises ``InvalidFields`` naming every bad field; returns the clean values.
    """
    spec = policy.products.get(product)
    if spec is None:
        # The answer names what exists, never repeats what was sent.
        known = ", ".join(sorted(policy.products))
        raise InvalidFields(
            {"product": text_format(_("Unknown product; known: %(known)s."), known=known)}
        )
    errors: dict[str, Text] = {}
    clean: dict[str, str | None] = {}
    for field, raw in values.items():
        if field not in spec.fields:
            if (
                field in policy.fields
                and category_covers("user.financial", policy.fields[field].category)
                and not spec.paid
            ):
                errors[field] = _("A bank account is only accepted for a paid product.")
            else:
                errors[field] = _("This field is not part of this product.")
            continue
        if raw is None:
            if spec.fields[field] == "required":
                errors[field] = _missing()
            clean[field] = None
            continue
        try:
            clean[field] = _clean_one(field, raw)
        except _Bad as bad:
            errors[field] = bad.message
    present = (set(existing) | {k for k, v in clean.items() if v is not None}) - {
        k for k, v in clean.items() if v is None
    }
    for field, need in spec.fields.items():
        if need == "required" and field not in present and field not in errors:
            errors[field] = _missing()
    if errors:
        raise InvalidFields(errors)
    return clean


def _missing() -> Text:
    return _("This field is required for this product.")


def phone_e164(value: str) -> str | None:
    """A phone number as stored (E.164), or None when it is not a valid number: how a search
    by phone finds the blind index of the stored value."""
    try:
        return _phone(" ".join(value.split()))
    except _Bad:
        return None
