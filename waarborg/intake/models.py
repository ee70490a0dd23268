"""What the e-mail door remembers: which mails of the contact mailbox it has dealt with."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class HandledMail(models.Model):
    """A mail that ``waarborg mail fetch`` has filed (or set aside as an automatic reply).

    Written in the transaction that files the request, so the row exists exactly when the
    request does; the mail is moved on the server only afterwards. A fetch that finds the row
    only moves the mail. Holds no personal data: the mail is known by a digest.
    """

    mailbox = models.CharField(max_length=300)  # MailUrl.label: no password
    key = models.CharField(max_length=64)  # reading.mail_key: SHA-256 of Message-ID or raw mail
    # Null for an automatic reply, and when a request is removed later: the mail stays handled.
    request = models.ForeignKey(
        "rights.Request", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    automatic = models.BooleanField(default=False)
    handled_at = models.DateTimeField(default=timezone.now)

    # The key is a one-way digest of a Message-ID; the mailbox is ours (the contact address).
    NOT_PERSONAL = {"id", "mailbox", "key", "request", "automatic", "handled_at"}

    class Meta:
        constraints = [
            # One filing per mail per mailbox, also with two fetches at once (services.mail_store).
            models.UniqueConstraint(fields=["mailbox", "key"], name="intake_mail_handled_once")
        ]

    def __str__(self) -> str:
        return f"{self.mailbox} {self.key[:12]}"
