"""How the privacy center names the rights and the states of a request, for the person who asks:
each right with one plain sentence, each state with what it means for them."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from waarborg.core.errors import Text


@dataclass(frozen=True)
class Right:
    value: str  # the kind the rights app files
    name: Text
    explanation: Text


# In the order of the statement (Art. 15-21); ``unclear`` last, for who is not sure.
RIGHTS = (
    Right(
        "access",
        _("Access"),
        _("See which personal data we hold about you, what we use it for and who received it."),
    ),
    Right(
        "rectification",
        _("Rectification"),
        _("Have personal data corrected that is wrong or incomplete."),
    ),
    Right(
        "erasure",
        _("Erasure"),
        _("Have your personal data erased, except what the law obliges us to keep."),
    ),
    Right(
        "restriction",
        _("Restriction of processing"),
        _(
            "Have us only store your data and use it for nothing else, for example during a "
            "dispute."
        ),
    ),
    Right(
        "portability",
        _("Data portability"),
        _("Receive the data you gave us in a common, machine-readable format, to take elsewhere."),
    ),
    Right(
        "objection",
        _("Objection"),
        _("Stop the use of your data for direct marketing or for a purpose of our own interest."),
    ),
    Right(
        "unclear",
        _("I am not sure which right"),
        _("Describe below what you would like; we will find out which right fits."),
    ),
)
NAMES: dict[str, Text] = {r.value: r.name for r in RIGHTS}

STATES: dict[str, tuple[Text, Text]] = {
    "awaiting_confirmation": (
        _("Waiting for confirmation"),
        _(
            "We sent a mail to the address you gave. If it holds a link to confirm the request, "
            "open it: we start once you have confirmed."
        ),
    ),
    "open": (_("In progress"), _("We are working on your request and will answer by mail.")),
    "done": (_("Answered"), _("We answered your request by mail.")),
    "refused": (
        _("Refused"),
        _("We refused this request. Our mail gives the reasons and where you can complain."),
    ),
    "lapsed": (
        _("Closed: not confirmed"),
        _("The request was not confirmed in time and is closed. You can file it again."),
    ),
}


def state_words(status: str) -> tuple[Text, Text]:
    """The name of a state and what it means; a state added later reads as in progress."""
    return STATES.get(status) or STATES["open"]
