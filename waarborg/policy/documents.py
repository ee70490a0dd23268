"""Documents derived from a policy: the statement's content and the Art. 30 register.

Everything a reader sees is computed here from the policy so the published text cannot drift
from what the system enforces. Each builder answers in the language it is given: policy content
through ``localized``, the software's own words through gettext.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from waarborg.policy.checks import EEA, category_covers, covered, policy_unconfirmed
from waarborg.policy.loader import dotted
from waarborg.policy.schema import Category, Policy, Purpose, Recipient, localized
from waarborg.policy.words import (
    BASIS,
    BASIS_EXPLAINED,
    COOKIE_KIND,
    KIND,
    PARTY,
    REQUIREMENT,
    in_sentence,
    join_words,
    retention_text,
    sentence,
    word,
)

FINANCIAL = "user.financial"  # accepted only for a paid product (checks._financial)


def leaf_categories(policy: Policy, keys: list[str] | None = None) -> list[str]:
    """The most specific categories, in the order of the file; only those under ``keys`` when
    given (a purpose naming ``user.contact`` uses address, phone and e-mail)."""
    every = list(policy.categories)
    leaves = [k for k in every if not any(o != k and category_covers(k, o) for o in every)]
    return leaves if keys is None else [k for k in leaves if covered(keys, k)]


def category_names(policy: Policy, keys: list[str], lang: str) -> list[str]:
    return [localized(policy.categories[k].name, lang) for k in keys if k in policy.categories]


def _named(key: str, item: Category | Purpose | Recipient, lang: str) -> dict[str, str]:
    """What every listed thing of the policy shows first: its key, name and description."""
    description = item.description
    return {
        "key": key,
        "name": localized(item.name, lang),
        "description": localized(description, lang) if description else "",
    }


def _data_list(policy: Policy, lang: str) -> dict[str, list[dict[str, str]]]:
    """The statement's data list: what a person gives us (as the statement lists it), what only
    a paid product asks (the bank account), and what we record ourselves (visits, invoices)."""
    asked = [spec.category for spec in policy.fields.values()]
    paid = [c for c in asked if category_covers(FINANCIAL, c)]
    given, only_paid, recorded = [], [], []
    for key in leaf_categories(policy):
        item = _named(key, policy.categories[key], lang)
        if covered(paid, key):
            only_paid.append(item)
        elif covered(asked, key):
            given.append(item)
        else:
            recorded.append(item)
    return {"given": given, "paid_only": only_paid, "recorded": recorded}


def _field_table(policy: Policy, lang: str) -> list[dict[str, Any]]:
    rows = []
    for name, spec in policy.fields.items():
        cells = []
        for product in policy.products.values():
            need = product.fields.get(name)
            if need is None:
                cells.append({"need": "absent", "text": _("not asked")})
            else:
                cells.append({"need": need, "text": word(REQUIREMENT, need)})
        rows.append({"field": name, "label": localized(spec.label, lang), "cells": cells})
    return rows


def _retention(purpose: Purpose, lang: str) -> dict[str, Any]:
    retention = purpose.retention
    why = retention.to_confirm
    return {
        "text": retention_text(retention),
        "legal_reference": retention.legal_reference,
        "to_confirm": why is not None,
        "reason": localized(why, lang) if why is not None else "",
    }


def _purpose_view(policy: Policy, key: str, purpose: Purpose, lang: str) -> dict[str, Any]:
    consent = purpose.consent
    test = purpose.balancing_test
    labels = [localized(policy.fields[f].label, lang) for f in consent.fields] if consent else []
    return {
        **_named(key, purpose, lang),
        "basis": word(BASIS, purpose.basis),
        "basis_key": purpose.basis,
        "basis_explained": word(BASIS_EXPLAINED, purpose.basis),
        "legal_reference": purpose.legal_reference,
        "data": sentence(category_names(policy, leaf_categories(policy, purpose.categories), lang)),
        "products": sentence(
            localized(policy.products[k].name, lang) for k in purpose.products or []
        ),
        "retention": _retention(purpose, lang),
        "recipients": [_recipient_view(policy, r, lang) for r in purpose.recipients],
        "consent": consent,
        "aggregate_only": purpose.aggregate_only,
        "consent_fields": join_words(in_sentence(label) for label in labels),
        "consent_field_count": len(labels),
        "balancing": (
            [localized(t, lang) for t in (test.interest, test.necessity, test.balance)]
            if test
            else []
        ),
    }


def _recipient_view(policy: Policy, key: str, lang: str) -> dict[str, Any]:
    rec = policy.recipients[key]
    agreement = rec.agreement
    return {
        **_named(key, rec, lang),
        "kind": rec.kind,
        "kind_text": word(KIND, rec.kind),
        "country": rec.country,
        "to_confirm": rec.to_confirm is not None,
        "reason": localized(rec.to_confirm, lang) if rec.to_confirm is not None else "",
        "agreement": (
            {
                "signed": agreement.signed,
                "reviewed": agreement.reviewed,
                "to_confirm": agreement.to_confirm is not None,
            }
            if agreement
            else None
        ),
        "sub_processors": [
            {
                "name": s.name,
                "service": localized(s.service, lang),
                "country": s.country,
                "to_confirm": s.to_confirm is not None,
            }
            for s in rec.sub_processors
        ],
        # The statement names only confirmed sub-processors; an assumed one is left out.
        "published_sub_processors": "; ".join(
            f"{s.name} ({localized(s.service, lang)}, {s.country})"
            for s in rec.sub_processors
            if s.to_confirm is None
        ),
        "data": sentence(category_names(policy, leaf_categories(policy, rec.categories), lang)),
        "only_on_lawful_request": rec.only_on_lawful_request,
        "transfers": _outside_eea(rec),
        "transfer_safeguard": rec.transfer_safeguard,
    }


def _outside_eea(rec: Recipient) -> list[str]:
    countries = {rec.country} | {s.country for s in rec.sub_processors}
    return sorted(c for c in countries if c not in EEA)


def statement_context(policy: Policy, lang: str) -> dict[str, Any]:
    """Everything the statement template shows, already in the reader's language."""
    with translation.override(lang):
        return _statement(policy, lang)


def _statement(policy: Policy, lang: str) -> dict[str, Any]:
    recipients = [_recipient_view(policy, k, lang) for k in policy.recipients]
    purposes = [_purpose_view(policy, k, p, lang) for k, p in policy.purposes.items()]
    visit_log = policy.visit_log
    return {
        "lang": lang,
        "title": localized(policy.title, lang),
        "controller": policy.controller,
        "products": [
            {"key": k, "name": localized(p.name, lang), "paid": p.paid}
            for k, p in policy.products.items()
        ],
        "product_names": join_words(localized(p.name, lang) for p in policy.products.values()),
        "field_table": _field_table(policy, lang),
        "data": _data_list(policy, lang),
        # Joined with semicolons: the names themselves contain "and".
        "subject_kinds": "; ".join(
            in_sentence(localized(s.name, lang)) for s in policy.subject_kinds.values()
        ),
        "purposes": purposes,
        "processors": [r for r in recipients if r["kind"] == "processor"],
        "others": [r for r in recipients if r["kind"] != "processor"],
        "grounds": [
            {"name": localized(g.name, lang), "description": localized(g.description, lang)}
            for g in policy.disclosure_grounds.values()
        ],
        "security_measures": [localized(m, lang) for m in policy.security_measures],
        "cookies": [
            {
                "name": ck.name,
                "purpose": localized(ck.purpose, lang),
                "party": word(PARTY, ck.party),
                "lifetime": localized(ck.lifetime, lang),
                "kind": word(COOKIE_KIND, ck.kind),
                "category": (
                    localized(policy.cookie_categories[ck.consent_category].name, lang)
                    if ck.consent_category in policy.cookie_categories
                    else ""
                ),
            }
            for ck in policy.cookies
        ],
        "cookie_categories": [
            {"name": localized(c.name, lang), "description": localized(c.description, lang)}
            for c in policy.cookie_categories.values()
        ],
        "roles": [
            {
                "name": localized(role.name, lang),
                "purposes": [localized(policy.purposes[k].name, lang) for k in role.purposes],
            }
            for role in policy.roles.values()
        ],
        "visit_log": (
            {"hours": visit_log.ip_truncate_after_hours, "to_confirm": bool(visit_log.to_confirm)}
            if visit_log
            else None
        ),
        # The statement then says once, at the top, what "to be confirmed" means.
        "has_unconfirmed": bool(policy_unconfirmed(policy)),
    }


# --- Art. 30(1) register -------------------------------------------------------------------

REGISTER_COLUMNS = [
    gettext_lazy("(a) Controller and contact"),
    gettext_lazy("(b) Purpose and legal basis"),
    gettext_lazy("(c) Categories of data subjects and personal data"),
    gettext_lazy("(d) Recipients"),
    gettext_lazy("(e) Transfers to third countries"),
    gettext_lazy("(f) Erasure time limits"),
    gettext_lazy("(g) Security measures"),
]


def register_columns(lang: str) -> list[str]:
    with translation.override(lang):
        return [str(c) for c in REGISTER_COLUMNS]


def _transfers(policy: Policy, purpose: Purpose, lang: str) -> list[str]:
    out = []
    for key in purpose.recipients:
        rec = policy.recipients[key]
        if outside := _outside_eea(rec):
            name = localized(rec.name, lang)
            out.append(f"{name}: {', '.join(outside)} ({rec.transfer_safeguard})")
    return out


def _basis(purpose: Purpose) -> str:
    basis = word(BASIS, purpose.basis)
    return f"{basis} ({purpose.legal_reference})" if purpose.legal_reference else basis


def _retention_line(purpose: Purpose) -> str:
    text, reference = retention_text(purpose.retention), purpose.retention.legal_reference
    return f"{text} ({reference})" if reference else text


def register_rows(policy: Policy, lang: str) -> list[list[str]]:
    """One row per purpose with the seven columns of Art. 30(1) GDPR (the CSV form)."""
    with translation.override(lang):
        c = policy.controller
        controller = f"{c.legal_name} ({c.trade_name}), {c.contact_email}, {c.country}"
        measures = " ".join(localized(m, lang) for m in policy.security_measures)  # sentences
        rows = []
        for purpose in policy.purposes.values():
            subjects = ", ".join(
                localized(policy.subject_kinds[s].name, lang) for s in purpose.subject_kinds
            )
            data = ", ".join(category_names(policy, purpose.categories, lang))
            recipients = "; ".join(
                f"{localized(policy.recipients[r].name, lang)} "
                f"({word(KIND, policy.recipients[r].kind)})"
                for r in purpose.recipients
            )
            name, description = localized(purpose.name, lang), localized(purpose.description, lang)
            rows.append(
                [
                    controller,
                    f"{name}: {description} [{_basis(purpose)}]",
                    f"{_('Data subjects')}: {subjects}. {_('Data')}: {data}",
                    recipients or _("None"),
                    "; ".join(_transfers(policy, purpose, lang))
                    or _("None; all recipients in the EEA"),
                    _retention_line(purpose),
                    measures,
                ]
            )
        return rows


def register_context(policy: Policy, lang: str, *, version: str | None = None) -> dict[str, Any]:
    """What ``policy/_register.html`` shows: the Art. 30(1) record for an auditor, one section
    per purpose, in ``lang``. ``version`` is the policy version to name (a short digest)."""
    with translation.override(lang):
        c = policy.controller
        return {
            "lang": lang,
            "version": version,
            "controller": {
                "legal_name": c.legal_name,
                "trade_name": c.trade_name,
                "contact_email": c.contact_email,
                "address": c.address or "",
                "country": c.country,
                "authority": c.supervisory_authority.name,
            },
            "purposes": [
                _register_purpose(policy, key, purpose, lang)
                for key, purpose in policy.purposes.items()
            ],
            "recipients": [_recipient_view(policy, k, lang) for k in policy.recipients],
            "security_measures": [localized(m, lang) for m in policy.security_measures],
            "to_confirm": [
                {"where": where, "value": value, "reason": localized(why, lang)}
                for path, why in policy_unconfirmed(policy)
                for where, value in [_pending(policy, path, lang)]
            ],
        }


def _register_purpose(policy: Policy, key: str, purpose: Purpose, lang: str) -> dict[str, Any]:
    return {
        "key": key,
        "name": localized(purpose.name, lang),
        "description": localized(purpose.record or purpose.description, lang),
        "basis": _basis(purpose),
        "aggregate_only": purpose.aggregate_only,
        "subject_kinds": sentence(
            (localized(policy.subject_kinds[s].name, lang) for s in purpose.subject_kinds), "; "
        ),
        "categories": sentence(
            category_names(policy, leaf_categories(policy, purpose.categories), lang)
        ),
        "recipients": [_recipient_view(policy, r, lang) for r in purpose.recipients],
        "transfers": _transfers(policy, purpose, lang),
        "retention": {**_retention(purpose, lang), "text": _retention_line(purpose)},
    }


def _pending(policy: Policy, path: tuple[str | int, ...], lang: str) -> tuple[str, str]:
    """A value to be confirmed, for a reader: where it is in the record, and the value."""
    match path:
        case ("purposes", str(key), "retention"):
            purpose = policy.purposes[key]
            where = _("Retention period of “%(purpose)s”")
            return where % {"purpose": localized(purpose.name, lang)}, retention_text(
                purpose.retention
            )
        case ("recipients", str(key), *rest):
            rec = policy.recipients[key]
            name = localized(rec.name, lang)
            if rest == ["agreement"] and rec.agreement:
                where = _("Data processing agreement with “%(name)s”") % {"name": name}
                return where, date_format(rec.agreement.signed, "j F Y")
            if len(rest) == 2 and rest[0] == "sub_processors" and isinstance(rest[1], int):
                sub = rec.sub_processors[rest[1]]
                where = _("Sub-processor of “%(name)s”") % {"name": name}
                return where, f"{sub.name} ({localized(sub.service, lang)}, {sub.country})"
            return _("Recipient “%(name)s”") % {
                "name": name
            }, f"{word(KIND, rec.kind)}, {rec.country}"
        case ("visit_log",) if policy.visit_log:
            hours = policy.visit_log.ip_truncate_after_hours
            where = _("How long a full IP address is kept")
            return where, ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    return dotted(path), ""


def purpose_views(policy: Policy, keys: list[str], lang: str) -> list[dict[str, Any]]:
    """The purposes ``keys`` as the statement shows them (name, description, basis, data,
    retention, recipients): for the answer to a person's access request (Art. 15(1))."""
    return [_purpose_view(policy, k, policy.purposes[k], lang) for k in keys]
