"""The consent texts a sign-up form shows: one per direct-marketing purpose and language, made
from the policy's own name and description of the purpose and one sentence on withdrawal.

Each text has a version, a digest of its exact words; the version is what a proof row names
(``PurposeEvent.text_version``) and the words are kept under it (``consent.ConsentText``), so
the proof reads back to what the person agreed to."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from waarborg.consent.models import ConsentText
from waarborg.core.i18n import Lang
from waarborg.policy.schema import localized
from waarborg.policy.selectors import policy_current

WORDING = _(
    "Yes, I want to receive “%(name)s” by e-mail. %(description)s I can withdraw this consent at "
    "any time, with one click on the link in every message."
)


@dataclass(frozen=True)
class Text:
    purpose: str
    name: str
    text: str
    version: str


def consent_text(*, purpose: str, lang: Lang) -> Text:
    """The consent text for ``purpose`` in ``lang`` as the policy in force makes it."""
    spec = policy_current().policy.purposes[purpose]
    name, description = localized(spec.name, lang), localized(spec.description, lang)
    with translation.override(lang):
        text = str(WORDING) % {"name": name, "description": description}
    raw = json.dumps([purpose, lang, text], ensure_ascii=False).encode("utf-8")
    version = hashlib.sha256(raw).hexdigest()[:16]
    return Text(purpose=purpose, name=name, text=text, version=version)


def consent_text_keep(*, text: Text, lang: Lang) -> None:
    """Keep the words under their version (once), in the caller's transaction."""
    ConsentText.objects.get_or_create(
        digest=text.version,
        defaults={
            "purpose": text.purpose,
            "lang": lang,
            "text": text.text,
            "first_used_at": timezone.now(),
        },
    )
