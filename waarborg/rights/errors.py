"""The refusals of the rights services: a stable code (the API maps it to a status) and a
sentence in the reader's language."""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext_lazy as _

from waarborg.core.errors import Refusal, text_format


class RightsError(Refusal):
    """A request that cannot be filed or changed as asked; nothing was stored."""


def bad_code() -> RightsError:
    return RightsError(
        "bad_code",
        _(
            "This confirmation link does not work: it was used already, it expired or it is "
            "incomplete. File the request again to receive a new one."
        ),
    )


def not_found() -> RightsError:
    return RightsError("not_found", _("There is no request with this reference."))


def closed() -> RightsError:
    return RightsError("request_closed", _("This request is closed; it cannot be changed."))


def not_unclear() -> RightsError:
    return RightsError("not_unclear", _("This request already says which right it is about."))


def already_extended() -> RightsError:
    return RightsError("already_extended", _("The deadline of this request was extended already."))


def too_late(due: date) -> RightsError:
    message = _(
        "An extension must be sent within the first month, which ended on %(due)s; it can no "
        "longer be extended."
    )
    return RightsError("too_late", text_format(message, due=due.isoformat()))


def bad_grounds() -> RightsError:
    return RightsError(
        "bad_grounds",
        _("A request can be refused only as manifestly unfounded or as excessive."),
    )


def not_officer() -> RightsError:
    return RightsError("role_not_permitted", _("Only a privacy officer decides on requests."))


def rate_limited() -> RightsError:
    return RightsError(
        "rate_limited",
        _("Too many requests were filed from here or for this address; try again tomorrow."),
    )


def bad_link() -> RightsError:
    return RightsError(
        "bad_link",
        _(
            "This download link does not work: it was used already, it expired or it is "
            "incomplete. Ask us again through the privacy center or by e-mail."
        ),
    )


def not_waiting() -> RightsError:
    return RightsError("not_waiting", _("Nothing in this request waits for this decision."))


def not_restricted() -> RightsError:
    return RightsError(
        "not_restricted",
        _("This request restricted nothing that can be lifted (or the law keeps it restricted)."),
    )
