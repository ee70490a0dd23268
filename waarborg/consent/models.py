"""Proof of cookie choices: what the banner showed (a version) and what a visitor chose."""

from __future__ import annotations

from django.db import models

from waarborg.policy.models import OrderedJSONField


class BannerVersion(models.Model):
    """The banner exactly as it was shown, in both languages: the cookie catalogue of the policy
    and the banner's own texts. ``digest`` is the version a choice names, so a proof row can
    always be read back to the words the visitor saw."""

    digest = models.CharField(max_length=16, unique=True)
    content = OrderedJSONField()
    first_chosen_at = models.DateTimeField()

    NOT_PERSONAL = {"id", "digest", "content", "first_chosen_at"}

    def __str__(self) -> str:
        return self.digest


class CookieChoice(models.Model):
    """One choice a visitor made in the cookie banner (Telecommunicatiewet 11.7a: consent must be
    provable). Every change is a new row; the latest row of a visitor is their choice.

    ``visitor`` is a random identifier kept in the visitor's own functional cookie. Nothing else
    about the visitor is stored: no IP address, no browser details, no account."""

    class Method(models.TextChoices):
        ACCEPT = "accept", "accepted everything on the first layer"
        REFUSE = "refuse", "refused everything"
        SAVE = "save", "chose per category"
        GPC = "gpc", "refusal by the Global Privacy Control signal"

    visitor = models.CharField(max_length=32)
    version = models.ForeignKey(BannerVersion, on_delete=models.PROTECT, related_name="choices")
    accepted = models.JSONField(default=list)  # category keys consented to
    refused = models.JSONField(default=list)  # category keys offered and not consented to
    method = models.CharField(max_length=16, choices=Method.choices)
    gpc = models.BooleanField()  # the Global Privacy Control signal was on when choosing
    site = models.CharField(max_length=200)  # the origin of the page the banner was shown on
    lang = models.CharField(max_length=2)
    policy_digest = models.CharField(max_length=64)
    chosen_at = models.DateTimeField()

    # The identifier lives in the visitor's device (a cookie): an online identifier.
    PERSONAL = {"visitor": "user.device"}
    NOT_PERSONAL = {
        "id",
        "version",
        "accepted",
        "refused",
        "method",
        "gpc",
        "site",
        "lang",
        "policy_digest",
        "chosen_at",
    }

    class Meta:
        indexes = [
            models.Index(fields=["visitor", "-chosen_at"], name="consent_choice_visitor_idx")
        ]

    def __str__(self) -> str:
        return f"{self.visitor}: {', '.join(self.accepted) or '-'} ({self.method})"


class ConsentText(models.Model):
    """A consent text exactly as a sign-up form showed it; ``digest`` is the version a proof row
    (the vault's ``PurposeEvent.text_version``) names."""

    digest = models.CharField(max_length=16, unique=True)
    purpose = models.CharField(max_length=64)
    lang = models.CharField(max_length=2)
    text = models.TextField()
    first_used_at = models.DateTimeField()

    NOT_PERSONAL = {"id", "digest", "purpose", "lang", "text", "first_used_at"}

    def __str__(self) -> str:
        return f"{self.purpose}/{self.lang}: {self.digest}"


class OptinMail(models.Model):
    """That a double opt-in mail went out, once (no address is kept here: the mail goes to the
    address typed in the form, while the request is answered)."""

    subject_id = models.UUIDField()
    purposes = models.JSONField(default=list)
    lang = models.CharField(max_length=2)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True)
    message_id = models.CharField(max_length=200, blank=True)

    NOT_PERSONAL = {"id", "subject_id", "purposes", "lang", "created_at", "sent_at", "message_id"}

    def __str__(self) -> str:
        return f"opt-in mail {self.pk}"


class ChoicesLink(models.Model):
    """A link to a person's own choices in the privacy center, mailed to an address on file.

    Only the SHA-256 of its code is kept; it works once, until ``expires_at``. Using it opens a
    short session: a random token in the person's browser (a cookie), of which again only the
    SHA-256 is kept, valid until ``session_until`` or until the person closes it. No address is
    kept here: the mail goes to the address typed in the form, while the request is answered."""

    subject_id = models.UUIDField()
    lang = models.CharField(max_length=2)
    code_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True)
    used_at = models.DateTimeField(null=True)
    session_digest = models.CharField(max_length=64, blank=True)
    session_until = models.DateTimeField(null=True)

    NOT_PERSONAL = {
        "id",
        "subject_id",
        "lang",
        "code_digest",
        "created_at",
        "expires_at",
        "sent_at",
        "used_at",
        "session_digest",
        "session_until",
    }

    class Meta:
        indexes = [
            # choices.choices_session: the session token a browser sends, on every page
            models.Index(fields=["session_digest"], name="consent_choices_session_idx"),
            # choices.choices_link_request: older unused links of the person stop working
            models.Index(fields=["subject_id", "used_at"], name="consent_choices_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"choices link {self.pk}"
