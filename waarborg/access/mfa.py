"""The second step of a staff login: a code from an authenticator app (TOTP, RFC 6238) or one of
ten one-time recovery codes.

Which roles must use it is the policy's word (``requires_mfa`` on a role); anyone may turn it on.
A user with a confirmed device is asked for a code after the password, whatever their roles."""

from __future__ import annotations

import secrets
from base64 import b32encode
from dataclasses import dataclass

import segno
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django_otp import match_token, user_has_device  # type: ignore[import-untyped]
from django_otp.models import Device  # type: ignore[import-untyped]
from django_otp.plugins.otp_totp.models import TOTPDevice  # type: ignore[import-untyped]

from waarborg.access.models import RecoveryCode, RecoveryCodes, code_clean, recovery_digest
from waarborg.access.selectors import staff_actor
from waarborg.audit.services import audit_record
from waarborg.core.actors import Actor
from waarborg.policy.selectors import policy_current

RECOVERY_COUNT = 10
ISSUER = "waarborg"


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    recovery_codes: list[str]  # shown once; only their digests are stored


def mfa_required(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether one of the user's roles is marked ``requires_mfa`` in the policy."""
    actor = staff_actor(user)
    roles = policy_current().policy.roles
    return actor is not None and any(roles[r].requires_mfa for r in actor.roles)


def mfa_step(*, user: AbstractBaseUser | AnonymousUser, verified: bool) -> str:
    """What the user must do before seeing a page: "verify" (give a code), "enrol" (set up an
    app, their role requires it) or "" (nothing)."""
    if verified:
        return ""
    if user_has_device(user):
        return "verify"
    return "enrol" if mfa_required(user=user) else ""


def totp_pending(*, user: User) -> TOTPDevice:
    """The unconfirmed app device being set up (made on first call, kept until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name="app", confirmed=False)


def totp_secret(device: TOTPDevice) -> str:
    """The key as an authenticator app takes it when typed: base32, in groups of four."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def totp_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an SVG QR code, dark on light whatever the page's colours."""
    qr = segno.make(device.config_url, error="m")
    svg: str = qr.svg_inline(scale=4, dark="#000", light="#fff", omitsize=False)
    return svg


def totp_confirm(*, user: User, code: str) -> Enrolment | None:
    """Confirm the pending device with a first code from the app; None if the code is wrong.
    On success the user's other devices are replaced: one app and a fresh set of codes."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("id")
            .first()
        )
        if device is None or not device.verify_token(code_clean(code)):
            return None
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = recovery_codes_create(user=user)
        audit_record(actor=_actor(user), action="staff.mfa_enrol", detail={"device": "totp"})
    return Enrolment(device=device, recovery_codes=codes)


def recovery_codes_create(*, user: User) -> list[str]:
    """Ten new recovery codes, replacing any earlier ones; returned once, stored as digests."""
    RecoveryCodes.objects.filter(user=user).delete()
    device = RecoveryCodes.objects.create(user=user, name="recovery", confirmed=True)
    codes = [_new_recovery_code() for _ in range(RECOVERY_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, digest=recovery_digest(c)) for c in codes
    )
    return codes


def mfa_verify(*, user: User, code: str) -> Device | None:
    """The device that accepts the code (the app, or an unused recovery code), or None."""
    clean = code_clean(code)
    if not clean:
        return None
    device: Device | None = match_token(user, clean)
    if device is not None and isinstance(device, RecoveryCodes):
        audit_record(actor=_actor(user), action="staff.recovery_code_used")
    return device


def _new_recovery_code() -> str:
    raw = b32encode(secrets.token_bytes(10)).decode().lower()  # 80 bits, 16 characters
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _actor(user: User) -> Actor:
    return Actor(kind="staff", name=user.get_username())
