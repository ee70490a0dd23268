"""Checking personal values for a product, with well-kept libraries and messages in nl and en."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.nl import postcode as nl_postcode

from waarborg.core.actors import Message
from waarborg.policy.checks import category_covers
from waarborg.policy.schema import Policy

GENDERS = {
    "female": Message("vrouw", "female"),
    "male": Message("man", "male"),
    "other": Message("anders", "other"),
    "not_stated": Message("zeg ik liever niet", "not stated"),
}
MAX_LENGTH = 200


class InvalidFields(Exception):
    """One or more values cannot be stored; ``errors`` maps each bad field to its message."""

    def __init__(self, errors: dict[str, Message]) -> None:
        super().__init__("; ".join(f"{k}: {v.en}" for k, v in sorted(errors.items())))
        self.errors = errors


def _email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise _Bad(
            "Dit is geen geldig e-mailadres.", "This is not a valid e-mail address."
        ) from None


def _phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "NL")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise _Bad("Dit is geen geldig telefoonnummer.", "This is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _iban(value: str) -> str:
    try:
        return str(IBAN(value).compact)
    except (SchwiftyException, ValueError):
        raise _Bad("Dit is geen geldig IBAN-rekeningnummer.", "This is not a valid IBAN.") from None


def _postcode(value: str) -> str:
    try:
        return str(nl_postcode.validate(value))
    except StdnumError:
        raise _Bad(
            "Dit is geen geldige Nederlandse postcode (bijvoorbeeld 1234 AB).",
            "This is not a valid Dutch postcode (for example 1234 AB).",
        ) from None


def _gender(value: str) -> str:
    if value not in GENDERS:
        choices = ", ".join(GENDERS)
        raise _Bad(f"Kies een van: {choices}.", f"Choose one of: {choices}.")
    return value


def _house_number(value: str) -> str:
    if not value[:1].isdigit() or len(value) > 16:
        raise _Bad("Een huisnummer begint met een cijfer.", "A house number starts with a digit.")
    return value


class _Bad(Exception):
    def __init__(self, nl: str, en: str) -> None:
        self.message = Message(nl, en)


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
        raise _Bad("Vul hier tekst in.", "This must be text.")
    value = " ".join(raw.split())
    if not value:
        raise _Bad("Dit veld is leeg.", "This field is empty.")
    if len(value) > MAX_LENGTH:
        raise _Bad(f"Maximaal {MAX_LENGTH} tekens.", f"At most {MAX_LENGTH} characters.")
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
            {
                "product": Message(
                    f"Onbekend product; bekend: {known}.", f"Unknown product; known: {known}."
                )
            }
        )
    errors: dict[str, Message] = {}
    clean: dict[str, str | None] = {}
    for field, raw in values.items():
        if field not in spec.fields:
            if (
                field in policy.fields
                and category_covers("user.financial", policy.fields[field].category)
                and not spec.paid
            ):
                errors[field] = Message(
                    "Een bankrekening nemen wij alleen aan voor een betaald product.",
                    "A bank account is only accepted for a paid product.",
                )
            else:
                errors[field] = Message(
                    "Dit gegeven hoort niet bij dit product.",
                    "This field is not part of this product.",
                )
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


def _missing() -> Message:
    return Message(
        "Dit gegeven is noodzakelijk voor dit product.", "This field is required for this product."
    )
