"""A data subject's request to exercise a right (GDPR Art. 15-21), and the letters sent about it.

Personal data here is only what the requester gave: their address and their own words, and what
staff write back to them (reasons). Each is sealed by the vault (``vault.sealed``; opened only
through ``gate.requesters``) rather than kept in the clear, because invariant 1 holds for
requesters too: a requester is often not on file, so their address cannot live in a subject's
record, and a copy of the database must not become a list of who asked what. The address is
also kept as the vault's blind index, so requests from one address can be found without it.
Every column is labelled (``vault/tests/test_labels.py``).
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.utils.translation import gettext_lazy as _


class Request(models.Model):
    class Kind(models.TextChoices):
        ACCESS = "access", _("access")
        RECTIFICATION = "rectification", _("rectification")
        ERASURE = "erasure", _("erasure")
        RESTRICTION = "restriction", _("restriction of processing")
        PORTABILITY = "portability", _("data portability")
        OBJECTION = "objection", _("objection")
        UNCLEAR = "unclear", _("not yet clear")

    class Status(models.TextChoices):
        AWAITING_CONFIRMATION = "awaiting_confirmation", _("awaiting confirmation")
        OPEN = "open", _("open")
        DONE = "done", _("done")
        REFUSED = "refused", _("refused")
        LAPSED = "lapsed", _("not confirmed in time")

    class Channel(models.TextChoices):
        CENTER = "center", _("privacy center")
        API = "api", _("API")
        EMAIL = "email", _("e-mail")

    class Grounds(models.TextChoices):
        UNFOUNDED = "manifestly_unfounded", _("manifestly unfounded")
        EXCESSIVE = "excessive", _("excessive")

    reference = models.CharField(max_length=8, unique=True)
    kinds = models.JSONField(default=list)  # Kind values, at least one
    status = models.CharField(
        max_length=24, choices=Status.choices, default=Status.AWAITING_CONFIRMATION
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    language = models.CharField(max_length=2)  # nl or en: every letter is in this language
    received_at = models.DateTimeField()
    due = models.DateField()
    extended_until = models.DateField(null=True)
    extension_reason = models.TextField(blank=True)  # sealed
    email = models.TextField()  # sealed: where every letter goes
    email_index = models.CharField(max_length=64)  # the vault's blind index of the address
    explanation = models.TextField(blank=True)  # sealed: the requester's own words
    # sealed: the Message-ID of the mail that asked (e-mail only); every letter answers it
    # (In-Reply-To, References), so it lands in the person's thread. It can name their host.
    in_reply_to = models.TextField(blank=True)
    # The person on file with this address when the request came in; None when nobody was.
    subject_id = models.UUIDField(null=True)
    # The single-use confirmation code: only its SHA-256, until when it may be used.
    confirm_digest = models.CharField(max_length=64, blank=True)
    confirm_expires = models.DateTimeField(null=True)
    confirmed_at = models.DateTimeField(null=True)
    refusal_grounds = models.CharField(max_length=24, choices=Grounds.choices, blank=True)
    refusal_reasons = models.TextField(blank=True)  # sealed
    closed_at = models.DateTimeField(null=True)

    PERSONAL = {
        "email": "user.contact.email",
        "email_index": "user.contact.email",
        "explanation": "user",
        "in_reply_to": "user",
        "extension_reason": "user",
        "refusal_reasons": "user",
    }
    NOT_PERSONAL = {
        "id",
        "reference",
        "kinds",
        "status",
        "channel",
        "language",
        "received_at",
        "due",
        "extended_until",
        "subject_id",
        "confirm_digest",
        "confirm_expires",
        "confirmed_at",
        "refusal_grounds",
        "closed_at",
    }

    class Meta:
        indexes = [
            # selectors.request_queue and `waarborg rights overdue`: requests not closed, by due
            models.Index(
                fields=["due"],
                condition=models.Q(closed_at__isnull=True),
                name="rights_request_queue_idx",
            ),
            # requests from one address (the blind index), e.g. for the console
            models.Index(fields=["email_index"], name="rights_request_email_idx"),
            models.Index(fields=["subject_id"], name="rights_request_subject_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def deadline(self) -> date:
        """The date the answer is due: the extended date once extended."""
        return self.extended_until or self.due


class Letter(models.Model):
    """One mail about a request. The row is written in the transaction of the change it tells
    about and sent after commit; ``sent_at`` says it went, so a retry never sends it twice.
    One letter of each kind per request."""

    class Kind(models.TextChoices):
        ACKNOWLEDGEMENT = "acknowledgement", _("acknowledgement with confirmation link")
        NO_DATA = "no_data", _("acknowledgement: no data linked to the address")
        EXTENSION = "extension", _("extension of the deadline")
        REFUSAL = "refusal", _("refusal")
        ANSWER = "answer", _("answer")
        LIFT = "lift", _("notice before a restriction is lifted")
        # One per purpose: "grounds:<purpose>", the compelling grounds an officer recorded.
        GROUNDS = "grounds", _("compelling grounds")

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="letters")
    kind = models.CharField(max_length=32)
    language = models.CharField(max_length=2)
    created_at = models.DateTimeField()
    # Set when a sender claims the letter (one conditional UPDATE); a claim older than
    # letters.CLAIM_TIMEOUT is taken to have died and is tried again.
    attempted_at = models.DateTimeField(null=True)
    sent_at = models.DateTimeField(null=True)
    message_id = models.CharField(max_length=200, blank=True)

    NOT_PERSONAL = {
        "id",
        "request",
        "kind",
        "language",
        "created_at",
        "attempted_at",
        "sent_at",
        "message_id",
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "kind"], name="rights_letter_once"),
        ]
        indexes = [
            # letters.letters_send_pending: letters not sent yet
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="rights_letter_unsent_idx",
            ),
        ]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.kind}"


class Step(models.Model):
    """One step of carrying out a request: one action in one system (``tasks.py``). A worker
    claims a step with one conditional UPDATE and holds it for LEASE; a step whose worker died
    is taken again once the lease ran out, or at once by a worker started with the same id."""

    class Action(models.TextChoices):
        RECTIFY = "rectify", _("rectify")
        RETRIEVE = "retrieve", _("retrieve")
        OBJECT = "object", _("record the objection")
        RESTRICT = "restrict", _("restrict")
        ERASE = "erase", _("erase")
        ANSWER = "answer", _("answer")
        LIFT = "lift", _("lift the restriction")

    class Status(models.TextChoices):
        PENDING = "pending", _("to do")
        RUNNING = "running", _("running")
        WAITING = "waiting", _("waiting for the privacy officer")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()  # steps of a request run in this order
    right = models.CharField(max_length=16, blank=True)  # the Request.Kind it serves
    action = models.CharField(max_length=16, choices=Action.choices)
    system = models.CharField(max_length=64, blank=True)  # a key of the policy's systems
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(null=True)  # after a failed try: not again before this
    claimed_by = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True)
    queued_at = models.DateTimeField(null=True)  # when a task to run it was last enqueued
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)
    result = models.JSONField(default=dict)  # what was done: counts, field and purpose names
    error = models.CharField(max_length=200, blank=True)  # the last failure, without values
    # What a system handed over (retrieve), sealed, until the answer is built from it.
    payload = models.BinaryField(null=True)

    PERSONAL = {"payload": "user"}
    NOT_PERSONAL = {
        "id",
        "request",
        "position",
        "right",
        "action",
        "system",
        "status",
        "attempts",
        "not_before",
        "claimed_by",
        "lease_until",
        "queued_at",
        "started_at",
        "finished_at",
        "result",
        "error",
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="rights_step_once"),
        ]
        indexes = [
            # steps.steps_recover: steps not finished
            models.Index(
                fields=["status"],
                condition=models.Q(status__in=["pending", "running"]),
                name="rights_step_open_idx",
            ),
        ]
        ordering = ["request", "position"]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.position}: {self.action} {self.system}"


class Export(models.Model):
    """The archive that answers an access or portability request: sealed, kept until it is
    downloaded (once, through the link in the answer) or expires, then emptied."""

    request = models.OneToOneField(Request, on_delete=models.CASCADE, related_name="export")
    archive = models.BinaryField(null=True)  # sealed zip; None once downloaded or expired
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    # The single-use code of the link the answer mails: only its SHA-256, until when.
    code_digest = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(null=True)
    downloaded_at = models.DateTimeField(null=True)

    PERSONAL = {"archive": "user"}
    NOT_PERSONAL = {
        "id",
        "request",
        "size",
        "created_at",
        "code_digest",
        "expires_at",
        "downloaded_at",
    }

    def __str__(self) -> str:
        return f"export of {self.request_id}"
