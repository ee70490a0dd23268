"""What changed between two versions of a policy, in words a reader follows.

Works on the stored documents (plain JSON), not on models, so a version recorded under an older
format can still be compared. Named entries (purposes, cookies, ...) are matched by key or name,
never by position: removing one cookie shows one removed cookie, not every later one "changed".
A whole entry added or removed is one line; inside an entry each changed value is one line, with
keys and coded values (legal basis, retention, category keys) turned into the reader's words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from waarborg.policy.schema import Retention
from waarborg.policy.texts import (
    BASIS,
    COOKIE_KIND,
    KIND,
    PARTY,
    REQUIREMENT,
    pick,
    retention_text,
)

# Sections whose entries are named, with the word for one entry.
_ENTRY = {
    "categories": ("Categorie", "Category"),
    "subject_kinds": ("Soort betrokkene", "Kind of data subject"),
    "fields": ("Gegeven", "Field"),
    "products": ("Product", "Product"),
    "purposes": ("Doeleinde", "Purpose"),
    "recipients": ("Ontvanger", "Recipient"),
    "disclosure_grounds": ("Grond voor verstrekking", "Ground for disclosure"),
    "cookies": ("Cookie", "Cookie"),
    "roles": ("Rol", "Role"),
    "security_measures": ("Beveiligingsmaatregel", "Security measure"),
}

_WORDS = {
    "schema_version": ("formaatversie", "format version"),
    "title": ("Titel", "Title"),
    "controller": ("Verwerkingsverantwoordelijke", "Controller"),
    "legal_name": ("naam", "legal name"),
    "trade_name": ("handelsnaam", "trade name"),
    "contact_email": ("e-mailadres", "e-mail address"),
    "address": ("adres", "address"),
    "country": ("land", "country"),
    "supervisory_authority": ("toezichthouder", "supervisory authority"),
    "url": ("website", "website"),
    "complaint_url": ("klachtenpagina", "complaint page"),
    "visit_log": ("Bezoekregistratie", "Visit logging"),
    "ip_truncate_after_hours": (
        "IP-adres ingekort na (uren)",
        "IP address truncated after (hours)",
    ),
    "name": ("naam", "name"),
    "label": ("naam", "label"),
    "description": ("omschrijving", "description"),
    "category": ("categorie", "category"),
    "paid": ("betaald", "paid"),
    "fields": ("gegevens", "fields"),
    "basis": ("grondslag", "legal basis"),
    "legal_reference": ("wettelijke basis", "legal reference"),
    "categories": ("gegevens", "data"),
    "subject_kinds": ("betrokkenen", "data subjects"),
    "retention": ("bewaartermijn", "retention period"),
    "assumption": ("aanname", "assumption"),
    "recipients": ("ontvangers", "recipients"),
    "consent": ("toestemming", "consent"),
    "explicit": ("uitdrukkelijk", "explicit"),
    "double_opt_in": ("bevestiging per e-mail", "double opt-in"),
    "channels": ("kanalen", "channels"),
    "direct_marketing": ("direct marketing", "direct marketing"),
    "balancing_test": ("belangenafweging", "balancing test"),
    "interest": ("belang", "interest"),
    "necessity": ("noodzaak", "necessity"),
    "balance": ("afweging", "balance"),
    "kind": ("soort", "kind"),
    "agreement": ("verwerkersovereenkomst", "data processing agreement"),
    "signed": ("gesloten", "signed"),
    "reviewed": ("herzien", "reviewed"),
    "sub_processors": ("subverwerkers", "sub-processors"),
    "only_on_lawful_request": ("alleen op rechtmatig verzoek", "only on a lawful request"),
    "transfer_safeguard": ("waarborg bij doorgifte", "transfer safeguard"),
    "purpose": ("waarvoor", "purpose"),
    "party": ("van wie", "set by"),
    "lifetime": ("looptijd", "lifetime"),
    "purposes": ("doeleinden", "purposes"),
}

# Coded values shown in words, by the key that holds them.
_CODES: dict[str, dict[str, tuple[str, str]]] = {
    "basis": BASIS,
    "kind": {**KIND, **COOKIE_KIND},
    "party": PARTY,
}
# Keys whose values are keys of another section, shown by that entry's name.
_REFERS = {
    "categories": "categories",
    "category": "categories",
    "purposes": "purposes",
    "recipients": "recipients",
    "subject_kinds": "subject_kinds",
}

_MISSING: Any = object()


@dataclass(frozen=True)
class Change:
    where: str
    old: str | None
    new: str | None

    @property
    def kind(self) -> str:
        if self.old is None:
            return "added"
        return "removed" if self.new is None else "changed"


class _Differ:
    def __init__(self, old: dict[str, Any], new: dict[str, Any], lang: str) -> None:
        self.old, self.new, self.lang = old, new, lang
        self.changes: list[Change] = []

    def word(self, key: str | int) -> str:
        pair = _WORDS.get(str(key))
        return pick(pair, self.lang) if pair else str(key)

    def name(self, section: str, key: str) -> str:
        """The reader's name of an entry, from the new version or else the old one."""
        for doc in (self.new, self.old):
            entry = _entries(section, doc.get(section)).get(key)
            if isinstance(entry, dict):
                title: Any = entry.get("name") or entry.get("label")
                if _is_text(title):
                    return str(title[self.lang])
                if isinstance(title, str):
                    return title
                if _is_text(entry):
                    return str(entry[self.lang])
        return key

    def show(self, value: Any, key: str = "") -> str:
        if value is None or value == [] or value == {}:
            return "—"
        if isinstance(value, bool):
            return pick(("ja", "yes") if value else ("nee", "no"), self.lang)
        if _is_text(value):
            return str(value[self.lang])
        if isinstance(value, list):
            return ", ".join(self.show(v, key) for v in value)
        if isinstance(value, dict):
            if key == "fields":
                return ", ".join(
                    f"{self.name('fields', f)} ({self.show(n, 'need')})" for f, n in value.items()
                )
            return "; ".join(self.show(v, k) for k, v in value.items() if v not in (None, []))
        if isinstance(value, str):
            if key in _REFERS:
                return self.name(_REFERS[key], value)
            if key in _CODES and value in _CODES[key]:
                return pick(_CODES[key][value], self.lang)
            if key == "need" and value in REQUIREMENT:
                return pick(REQUIREMENT[value], self.lang)
        return str(value)

    def record(self, where: list[str], old: Any, new: Any, key: str = "") -> None:
        self.changes.append(
            Change(
                where=" › ".join(where),
                old=None if old is _MISSING else self.show(old, key),
                new=None if new is _MISSING else self.show(new, key),
            )
        )

    def section(self, key: str) -> None:
        a, b = self.old.get(key, _MISSING), self.new.get(key, _MISSING)
        if a == b:
            return
        if key not in _ENTRY:
            self.value([self.word(key)], key, a, b)
            return
        word = pick(_ENTRY[key], self.lang)
        before, after = _entries(key, a), _entries(key, b)
        for name in _union(before, after):
            x, y = before.get(name, _MISSING), after.get(name, _MISSING)
            if x == y:
                continue
            if x is _MISSING or y is _MISSING:
                title = self.name(key, name)
                self.record(
                    [word],
                    _MISSING if x is _MISSING else title,
                    _MISSING if y is _MISSING else title,
                )
            else:
                self.value([f"{word} “{self.name(key, name)}”"], "", x, y)

    def value(self, where: list[str], key: str, a: Any, b: Any) -> None:
        if key == "retention" and isinstance(a, dict) and isinstance(b, dict):
            self.retention(where, a, b)
        elif _is_mapping(a) and _is_mapping(b):
            for k in _union(a, b):
                x, y = a.get(k, None), b.get(k, None)
                if x == y:
                    continue
                if key == "fields":  # a product's or consent's fields: field -> required/optional
                    label = (
                        f"{pick(_ENTRY['fields'], self.lang).lower()} “{self.name('fields', k)}”"
                    )
                    self.record([*where[:-1], label], x, y, "need")
                else:
                    self.value([*where, self.word(k)], str(k), x, y)
        elif a != b:
            self.record(where, a, b, key)

    def retention(self, where: list[str], a: dict[str, Any], b: dict[str, Any]) -> None:
        period_a, period_b = self.period(a), self.period(b)
        if period_a != period_b:
            self.changes.append(Change(" › ".join(where), period_a, period_b))
        for k in ("legal_reference", "assumption"):
            if a.get(k) != b.get(k):
                self.record([*where, self.word(k)], a.get(k), b.get(k), k)

    def period(self, value: dict[str, Any]) -> str:
        try:
            return retention_text(Retention.model_validate(value), self.lang)
        except ValidationError:
            return json.dumps(value, ensure_ascii=False)


def _is_text(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"nl", "en"}


def _is_mapping(value: Any) -> bool:
    return isinstance(value, dict) and not _is_text(value)


def _union(a: dict[Any, Any], b: dict[Any, Any]) -> list[Any]:
    """Keys in the new order, then the keys only the old version had."""
    return [*b, *(k for k in a if k not in b)]


def _entries(section: str, value: Any) -> dict[str, Any]:
    """A section's entries by key; cookies by name and security measures by their text."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, list):
        return {}
    if section == "cookies":
        return {str(c.get("name")) if isinstance(c, dict) else str(c): c for c in value}
    return {json.dumps(item, sort_keys=True, ensure_ascii=False): item for item in value}


def policy_diff(old: dict[str, Any], new: dict[str, Any], lang: str) -> list[Change]:
    """What changed from ``old`` to ``new`` (policy documents), one line per change."""
    # A stored document is whatever an older format wrote; one that is not a mapping has no
    # sections to compare.
    old, new = (doc if isinstance(doc, dict) else {} for doc in (old, new))
    differ = _Differ(old, new, lang)
    for key in _union(old, new):
        differ.section(key)
    return differ.changes
