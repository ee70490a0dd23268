"""Billing's refusals, in words (English msgids, Dutch in this app's catalogue)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from waarborg.core.errors import Refusal, Text

MESSAGES: dict[str, Text] = {
    "invoice_not_found": _("There is no invoice with this number."),
    "no_lines": _("An invoice needs at least one line."),
    "vat_rate_unknown": _("The VAT rate must be 21, 9 or 0 percent."),
    "amount_invalid": _("Amounts are whole cents, greater than zero."),
    "already_settled": _("This invoice has been paid in full already."),
    "overpayment": _("This payment is more than what is still open on the invoice."),
    "handover_not_found": _("There is no handover batch with this id."),
    "handover_decided": _("This handover batch has been approved already."),
    "nothing_overdue": _("There are no overdue claims to hand over."),
    "agency_key_missing": _(
        "The collection agency's public key is not configured "
        "(WAARBORG_COLLECTION_AGENCY_RECIPIENT); nothing was handed over."
    ),
    "agency_key_invalid": _(
        "The collection agency's public key is not a valid age recipient; nothing was handed over."
    ),
    "registers_only": _("Only the privacy officer approves a handover and keeps this register."),
}


def refusal(code: str, message: Text | None = None) -> Refusal:
    return Refusal(code, message if message is not None else MESSAGES[code])
