"""Documents derived from a policy: the statement's content, the Art. 30 register, a diff.

Everything a reader sees is computed here from the policy so the published text cannot drift
from what the system enforces.
"""

from __future__ import annotations

from typing import Any

from waarborg.policy.checks import EEA, category_covers, covered
from waarborg.policy.schema import Policy, Purpose
from waarborg.policy.texts import (
    BASIS,
    BASIS_EXPLAINED,
    COOKIE_KIND,
    KIND,
    PARTY,
    REQUIREMENT,
    pick,
    retention_text,
)


def _leaf_categories(policy: Policy) -> list[str]:
    keys = list(policy.categories)
    return [k for k in keys if not any(o != k and category_covers(k, o) for o in keys)]


def _category_names(policy: Policy, keys: list[str], lang: str) -> list[str]:
    return [policy.categories[k].name.get(lang) for k in keys if k in policy.categories]


def _purpose_view(policy: Policy, key: str, purpose: Purpose, lang: str) -> dict[str, Any]:
    consent = purpose.consent
    return {
        "key": key,
        "name": purpose.name.get(lang),
        "description": purpose.description.get(lang),
        "basis": pick(BASIS[purpose.basis], lang),
        "basis_key": purpose.basis,
        "basis_explained": pick(BASIS_EXPLAINED[purpose.basis], lang),
        "legal_reference": purpose.legal_reference,
        "categories": _category_names(policy, purpose.categories, lang),
        "retention": retention_text(purpose.retention, lang),
        "retention_reference": purpose.retention.legal_reference,
        "recipients": [policy.recipients[r].name.get(lang) for r in purpose.recipients],
        "consent": consent,
        "aggregate_only": purpose.aggregate_only,
        "consent_fields": [policy.fields[f].label.get(lang) for f in consent.fields]
        if consent
        else [],
        "balancing": (
            {
                "interest": purpose.balancing_test.interest.get(lang),
                "necessity": purpose.balancing_test.necessity.get(lang),
                "balance": purpose.balancing_test.balance.get(lang),
            }
            if purpose.balancing_test
            else None
        ),
    }


def _field_table(policy: Policy, lang: str) -> list[dict[str, Any]]:
    rows = []
    for name, spec in policy.fields.items():
        cells = []
        for product in policy.products.values():
            need = product.fields.get(name)
            if need is None:
                cells.append(
                    {"need": "absent", "text": "niet gevraagd" if lang == "nl" else "not asked"}
                )
            else:
                cells.append({"need": need, "text": pick(REQUIREMENT[need], lang)})
        rows.append({"field": name, "label": spec.label.get(lang), "cells": cells})
    return rows


def _recipient_view(policy: Policy, key: str, lang: str) -> dict[str, Any]:
    rec = policy.recipients[key]
    return {
        "key": key,
        "name": rec.name.get(lang),
        "kind": rec.kind,
        "kind_text": pick(KIND[rec.kind], lang),
        "description": rec.description.get(lang),
        "country": rec.country,
        "agreement": rec.agreement,
        "sub_processors": [
            {"name": s.name, "service": s.service.get(lang), "country": s.country}
            for s in rec.sub_processors
        ],
        "categories": _category_names(policy, rec.categories, lang),
        "only_on_lawful_request": rec.only_on_lawful_request,
        "purposes": [p.name.get(lang) for p in policy.purposes.values() if key in p.recipients],
    }


def statement_context(policy: Policy, lang: str) -> dict[str, Any]:
    """Everything the statement template shows, already in the reader's language."""
    c = policy.controller
    paid_fields = {
        f for f, spec in policy.fields.items() if category_covers("user.financial", spec.category)
    }
    return {
        "lang": lang,
        "title": policy.title.get(lang),
        "controller": c,
        "products": [
            {"key": k, "name": p.name.get(lang), "paid": p.paid} for k, p in policy.products.items()
        ],
        "field_table": _field_table(policy, lang),
        "financial_fields": [policy.fields[f].label.get(lang) for f in sorted(paid_fields)],
        "categories": [
            {
                "key": k,
                "name": policy.categories[k].name.get(lang),
                "description": (d.get(lang) if (d := policy.categories[k].description) else ""),
            }
            for k in _leaf_categories(policy)
        ],
        "subject_kinds": [s.name.get(lang) for s in policy.subject_kinds.values()],
        "purposes": [_purpose_view(policy, k, p, lang) for k, p in policy.purposes.items()],
        "processors": [
            _recipient_view(policy, k, lang)
            for k, r in policy.recipients.items()
            if r.kind == "processor"
        ],
        "others": [
            _recipient_view(policy, k, lang)
            for k, r in policy.recipients.items()
            if r.kind != "processor"
        ],
        "grounds": [
            {"name": g.name.get(lang), "description": g.description.get(lang)}
            for g in policy.disclosure_grounds.values()
        ],
        "security_measures": [m.get(lang) for m in policy.security_measures],
        "cookies": [
            {
                "name": ck.name,
                "purpose": ck.purpose.get(lang),
                "party": pick(PARTY[ck.party], lang),
                "lifetime": ck.lifetime.get(lang),
                "kind": pick(COOKIE_KIND[ck.kind], lang),
                "needs_consent": ck.kind == "consent_required",
            }
            for ck in policy.cookies
        ],
        "roles": [
            {
                "name": role.name.get(lang),
                "purposes": [policy.purposes[k].name.get(lang) for k in role.purposes],
            }
            for role in policy.roles.values()
        ],
        "visit_log": policy.visit_log,
        "has_consent_purpose": any(p.basis == "consent" for p in policy.purposes.values()),
    }


# --- Art. 30(1) register -------------------------------------------------------------------

REGISTER_COLUMNS = {
    "nl": [
        "(a) Verwerkingsverantwoordelijke en contact",
        "(b) Doeleinde en grondslag",
        "(c) Categorieën betrokkenen en persoonsgegevens",
        "(d) Ontvangers",
        "(e) Doorgifte naar derde landen",
        "(f) Bewaartermijn",
        "(g) Beveiligingsmaatregelen",
    ],
    "en": [
        "(a) Controller and contact",
        "(b) Purpose and legal basis",
        "(c) Categories of data subjects and personal data",
        "(d) Recipients",
        "(e) Transfers to third countries",
        "(f) Erasure time limits",
        "(g) Security measures",
    ],
}


def _transfers(policy: Policy, purpose: Purpose, lang: str) -> str:
    out = []
    for key in purpose.recipients:
        rec = policy.recipients[key]
        countries = {rec.country} | {s.country for s in rec.sub_processors}
        outside = sorted(c for c in countries if c not in EEA)
        if outside:
            out.append(f"{rec.name.get(lang)}: {', '.join(outside)} ({rec.transfer_safeguard})")
    if out:
        return "; ".join(out)
    return (
        "Geen; alle ontvangers binnen de EER" if lang == "nl" else "None; all recipients in the EEA"
    )


def register_rows(policy: Policy, lang: str) -> list[list[str]]:
    """One row per purpose with the seven columns of Art. 30(1) GDPR."""
    c = policy.controller
    controller = f"{c.legal_name} ({c.trade_name}), {c.contact_email}, {c.country}"
    measures = " ".join(m.get(lang) for m in policy.security_measures)  # each is a sentence
    rows = []
    for purpose in policy.purposes.values():
        basis = pick(BASIS[purpose.basis], lang)
        if purpose.legal_reference:
            basis += f" ({purpose.legal_reference})"
        subjects = ", ".join(policy.subject_kinds[s].name.get(lang) for s in purpose.subject_kinds)
        data = ", ".join(_category_names(policy, purpose.categories, lang))
        recipients = "; ".join(
            f"{policy.recipients[r].name.get(lang)} ({pick(KIND[policy.recipients[r].kind], lang)})"
            for r in purpose.recipients
        ) or ("Geen" if lang == "nl" else "None")
        retention = retention_text(purpose.retention, lang)
        if purpose.retention.legal_reference:
            retention += f" ({purpose.retention.legal_reference})"
        label = "Betrokkenen" if lang == "nl" else "Data subjects"
        data_label = "Gegevens" if lang == "nl" else "Data"
        rows.append(
            [
                controller,
                f"{purpose.name.get(lang)}: {purpose.description.get(lang)} [{basis}]",
                f"{label}: {subjects}. {data_label}: {data}",
                recipients,
                _transfers(policy, purpose, lang),
                retention,
                measures,
            ]
        )
    return rows


def fields_for_categories(policy: Policy, categories: list[str]) -> list[str]:
    return [f for f, spec in policy.fields.items() if covered(categories, spec.category)]
