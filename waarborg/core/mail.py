"""Outgoing mail: a letter rendered from plain-text templates in the reader's language.

Settings come from ``WAARBORG_SMTP_URL`` (``waarborg.conf.env_smtp``); unset, Django's file
backend writes each mail to ``var/mail/``. Callers send after their transaction commits and
record that a mail went, so a retry does not send it again (``waarborg.rights.letters``)."""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import formataddr
from typing import Any

from django.core.mail import EmailMessage
from django.template import Context
from django.template.loader import get_template
from django.utils import translation

from waarborg.core.i18n import Lang


def mail_render(template: str, *, language: Lang, context: Mapping[str, Any]) -> tuple[str, str]:
    """``(subject, body)`` of ``<template>_subject.txt`` and ``<template>.txt``, rendered in
    ``language`` as plain text (no HTML escaping)."""
    with translation.override(language):
        subject = _plain(f"{template}_subject.txt", context)
        body = _plain(f"{template}.txt", context)
    return " ".join(subject.split()), body.strip() + "\n"


def _plain(name: str, context: Mapping[str, Any]) -> str:
    # The Django template behind the backend's wrapper: only it renders without autoescape.
    template: Any = get_template(name).template  # type: ignore[attr-defined]
    return str(template.render(Context(dict(context), autoescape=False)))


def mail_send(
    *,
    to: str,
    template: str,
    language: Lang,
    context: Mapping[str, Any],
    sender: tuple[str, str],
    message_id: str,
    answers: str = "",
) -> None:
    """Render and send one mail to ``to`` from ``sender`` (name, address). ``message_id`` is the
    caller's stable id for this letter: should it ever go out twice (a crash between the server's
    acceptance and the caller's record of it), the copies carry one id and mail programs show
    one. ``answers``, the Message-ID of the person's mail this one answers, puts it in their
    thread (In-Reply-To, References). Raises what the mail server answered when it refused."""
    subject, body = mail_render(template, language=language, context=context)
    headers = {"Message-ID": message_id, "Content-Language": language}
    if answers:
        headers |= {"In-Reply-To": answers, "References": answers}
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=formataddr(sender),
        to=[to],
        headers=headers,
    )
    message.send(fail_silently=False)
