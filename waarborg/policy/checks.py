"""Checks across the parts of a policy: every reference resolves and the rules fit the law."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel

from waarborg.policy.schema import Confirmable, I18n, Policy, Purpose, System

Path = tuple[str | int, ...]
Problem = tuple[Path, str]

CONTRACT_BASES = {"contract", "legal_obligation"}


def category_covers(rule: str, category: str) -> bool:
    """A rule on ``user.contact`` covers ``user.contact`` and everything under it."""
    return category == rule or category.startswith(rule + ".")


def covered(rules: Iterable[str], category: str) -> bool:
    return any(category_covers(rule, category) for rule in rules)


def policy_problems(policy: Policy) -> list[Problem]:
    return [
        *_categories(policy),
        *_products(policy),
        *_purposes(policy),
        *_recipients(policy),
        *_roles(policy),
        *_cookies(policy),
        *_requests_purpose(policy),
        *_systems(policy),
    ]


def policy_unconfirmed(policy: Policy) -> list[tuple[Path, str | I18n]]:
    """Every entry marked ``to_confirm``, with its path in the file and the reason, in the order
    of the file."""
    return list(_unconfirmed(policy, ()))


def _unconfirmed(value: object, path: Path) -> Iterator[tuple[Path, str | I18n]]:
    if isinstance(value, Confirmable) and value.to_confirm is not None:
        yield path, value.to_confirm
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            yield from _unconfirmed(getattr(value, name), (*path, info.alias or name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _unconfirmed(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _unconfirmed(item, (*path, i))


def _unknown_categories(policy: Policy, keys: list[str], path: Path) -> Iterator[Problem]:
    for i, key in enumerate(keys):
        if key not in policy.categories:
            yield (*path, i), f"unknown category {key!r}"


def _categories(policy: Policy) -> Iterator[Problem]:
    for name, spec in policy.fields.items():
        if spec.category not in policy.categories:
            yield ("fields", name, "category"), f"unknown category {spec.category!r}"


def _financial(policy: Policy, field: str) -> bool:
    spec = policy.fields.get(field)
    return spec is not None and category_covers("user.financial", spec.category)


def _products(policy: Policy) -> Iterator[Problem]:
    contract_rules = [
        c for p in policy.purposes.values() if p.basis in CONTRACT_BASES for c in p.categories
    ]
    for key, product in policy.products.items():
        for field, need in product.fields.items():
            path: Path = ("products", key, "fields", field)
            if field not in policy.fields:
                yield path, f"unknown field {field!r}"
                continue
            if _financial(policy, field) and not product.paid:
                yield path, "financial data is only accepted for a paid product"
            category = policy.fields[field].category
            if need == "required" and not covered(contract_rules, category):
                yield (
                    path,
                    ("a required field must be needed by a contract or legal-obligation purpose"),
                )


def _purposes(policy: Policy) -> Iterator[Problem]:
    for key, purpose in policy.purposes.items():
        base: Path = ("purposes", key)
        yield from _unknown_categories(policy, purpose.categories, (*base, "categories"))
        for i, kind in enumerate(purpose.subject_kinds):
            if kind not in policy.subject_kinds:
                yield (*base, "subject_kinds", i), f"unknown subject kind {kind!r}"
        for i, rec in enumerate(purpose.recipients):
            if rec not in policy.recipients:
                yield (*base, "recipients", i), f"unknown recipient {rec!r}"
        for i, product in enumerate(purpose.products or []):
            if product not in policy.products:
                yield (*base, "products", i), f"unknown product {product!r}"
        yield from _basis_rules(policy, purpose, base)


def _basis_rules(policy: Policy, purpose: Purpose, base: Path) -> Iterator[Problem]:
    if purpose.basis == "legitimate_interest" and purpose.balancing_test is None:
        yield (*base, "balancing_test"), "a legitimate-interest purpose needs a balancing test"
    if purpose.basis == "legal_obligation" and purpose.legal_reference is None:
        yield (*base, "legal_reference"), "a legal-obligation purpose must name the law"
    if purpose.basis == "consent":
        if purpose.consent is None:
            yield (*base, "consent"), "a consent purpose needs consent rules"
            return
        for field, need in purpose.consent.fields.items():
            path: Path = (*base, "consent", "fields", field)
            if field not in policy.fields:
                yield path, f"unknown field {field!r}"
            elif need != "optional":
                yield path, "a consent purpose may only ask for optional fields"
            elif not covered(purpose.categories, policy.fields[field].category):
                yield path, "the field's category is not among the purpose's categories"
    elif purpose.consent is not None:
        yield (*base, "consent"), "consent rules belong only to a consent purpose"


def _recipients(policy: Policy) -> Iterator[Problem]:
    for key, rec in policy.recipients.items():
        base: Path = ("recipients", key)
        yield from _unknown_categories(policy, rec.categories, (*base, "categories"))
        if rec.kind == "processor" and rec.agreement is None:
            yield (*base, "agreement"), "a processor needs a data processing agreement"
        countries = {rec.country} | {s.country for s in rec.sub_processors}
        if rec.transfer_safeguard is None and not all(_in_eea(c) for c in countries):
            message = "a transfer outside the EEA (recipient or sub-processor) needs a safeguard"
            yield (*base, "transfer_safeguard"), message


EEA = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IS",
        "IT",
        "LI",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "NO",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    }
)


def _in_eea(country: str) -> bool:
    return country in EEA


def _roles(policy: Policy) -> Iterator[Problem]:
    for key, role in policy.roles.items():
        for i, purpose in enumerate(role.purposes):
            if purpose not in policy.purposes:
                yield ("roles", key, "purposes", i), f"unknown purpose {purpose!r}"


def _cookies(policy: Policy) -> Iterator[Problem]:
    for i, cookie in enumerate(policy.cookies):
        if cookie.kind == "exempt_analytics" and cookie.party != "first":
            yield ("cookies", i, "party"), "only first-party analytics can be exempt from consent"
        category = cookie.consent_category
        if cookie.kind == "consent_required" and category is None:
            yield (
                ("cookies", i, "kind"),
                "a cookie that needs consent names its consent_category (the banner's choice)",
            )
        elif cookie.kind != "consent_required" and category is not None:
            yield ("cookies", i, "consent_category"), "only a cookie that needs consent has one"
        elif category is not None and category not in policy.cookie_categories:
            yield ("cookies", i, "consent_category"), f"unknown cookie category {category!r}"


def _requests_purpose(policy: Policy) -> Iterator[Problem]:
    marked = [k for k, p in policy.purposes.items() if p.data_subject_requests]
    for key in marked[1:]:
        yield ("purposes", key, "data_subject_requests"), "only one purpose answers requests"
    for key in marked:
        if policy.purposes[key].basis != "legal_obligation":
            message = "answering requests is a legal obligation (Art. 12-22 GDPR)"
            yield ("purposes", key, "basis"), message


LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _systems(policy: Policy) -> Iterator[Problem]:
    vaults = [k for k, s in policy.systems.items() if s.connector == "vault"]
    for key in vaults[1:]:
        yield ("systems", key, "connector"), "only one system can be the vault"
    for key, system in policy.systems.items():
        yield from _system(system, ("systems", key))


def _system(system: System, base: Path) -> Iterator[Problem]:
    if system.connector == "vault":
        for name in ("url", "secret_env"):
            if getattr(system, name) is not None:
                yield (*base, name), "the vault needs no url or secret"
        return
    if system.secret_env is None:
        yield (*base, "secret_env"), "a webhook needs the variable that holds its secret"
    if system.url is None:
        yield (*base, "url"), "a webhook needs a url"
        return
    url = urlsplit(system.url)
    local = url.scheme == "http" and url.hostname in LOOPBACK
    if not url.hostname or (url.scheme != "https" and not local):
        yield (*base, "url"), "a webhook url must be https:// (http:// only on this machine)"


def _keys(data: dict[str, Any], section: str) -> set[Any] | None:
    value = data.get(section)
    return set(value) if isinstance(value, dict) else None


def _named(entries: Any, attr: str) -> Iterator[tuple[Any, list[Any]]]:
    """(key, list) for every entry of a section whose ``attr`` is a list of names."""
    if not isinstance(entries, dict):
        return
    for key, entry in entries.items():
        if isinstance(entry, dict) and isinstance(entry.get(attr), list):
            yield key, entry[attr]


def raw_reference_problems(data: dict[str, Any]) -> list[Problem]:
    """The reference checks that need no valid structure, on the file as read.

    Used when the structure is invalid, so a file with both kinds of problem reports both in one
    run. A reference is only checked when the section it refers to is itself a mapping.
    """
    problems: list[Problem] = []

    def names(
        path: Path, values: Iterable[tuple[str | int, Any]], known: set[Any] | None, what: str
    ) -> None:
        if known is None:
            return
        for at, value in values:
            if isinstance(value, str) and value not in known:
                problems.append(((*path, at), f"unknown {what} {value!r}"))

    categories = _keys(data, "categories")
    fields = data.get("fields")
    if isinstance(fields, dict):
        for key, spec in fields.items():
            if isinstance(spec, dict) and "category" in spec:
                names(("fields", key), [("category", spec["category"])], categories, "category")
    for section in ("purposes", "recipients"):
        for key, listed in _named(data.get(section), "categories"):
            names((section, key, "categories"), enumerate(listed), categories, "category")
    purposes = data.get("purposes")
    for attr, section, what in (
        ("subject_kinds", "subject_kinds", "subject kind"),
        ("recipients", "recipients", "recipient"),
        ("products", "products", "product"),
    ):
        for key, listed in _named(purposes, attr):
            names(("purposes", key, attr), enumerate(listed), _keys(data, section), what)
    for key, listed in _named(data.get("roles"), "purposes"):
        names(("roles", key, "purposes"), enumerate(listed), _keys(data, "purposes"), "purpose")
    cookies = data.get("cookies")
    if isinstance(cookies, list):
        for i, cookie in enumerate(cookies):
            if isinstance(cookie, dict) and "consent_category" in cookie:
                chosen = [("consent_category", cookie["consent_category"])]
                known = _keys(data, "cookie_categories")
                names(("cookies", i), chosen, known, "cookie category")
    products = data.get("products")
    if isinstance(products, dict):
        for key, product in products.items():
            wanted = product.get("fields") if isinstance(product, dict) else None
            if isinstance(wanted, dict):
                pairs = [(f, f) for f in wanted]
                names(("products", key, "fields"), pairs, _keys(data, "fields"), "field")
    return problems
