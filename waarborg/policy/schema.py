"""The shape of a policy file, as pydantic models.

The models check each value on its own; ``checks.py`` checks the references between them. Every
model forbids unknown keys so a typo in the file is an error, never a silently ignored setting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
    model_validator,
)

from waarborg.core.i18n import current_language

LegalBasis = Literal[
    "contract",
    "consent",
    "legitimate_interest",
    "legal_obligation",
    "vital_interest",
    "public_task",
]
Requirement = Literal["required", "optional"]
RetentionEvent = Literal[
    "collection",
    "end_of_contract",
    "end_of_financial_year",
    "consent_withdrawn",
    "last_activity",
    "visit",
    "claim_settled",
]
Channel = Literal["email", "phone", "post", "app", "web"]
CategoryKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class I18n(Strict):
    """A text a person reads, in Dutch and English."""

    nl: Text
    en: Text

    def get(self, lang: str | None = None) -> str:
        """The same as ``localized(self, lang)``, for callers that hold an ``I18n``."""
        return localized(self, lang)


def localized(value: I18n | Mapping[str, object] | str, lang: str | None = None) -> str:
    """Policy content in one language: THE way a ``{nl: ..., en: ...}`` pair is read.

    Takes a validated pair, a pair as stored in a recorded version (plain JSON, possibly of an
    older format) or a plain text (returned as it is). ``lang`` defaults to the active language
    (``waarborg.core.i18n.current_language``); Dutch when a pair lacks the language asked.
    """
    lang = lang or current_language()
    if isinstance(value, str):
        return value
    if isinstance(value, I18n):
        return value.en if lang == "en" else value.nl
    text = value.get(lang, value.get("nl", ""))
    return text if isinstance(text, str) else str(text)


class Confirmable(Strict):
    """An entry whose values the policy assumes and the controller must still confirm.

    ``to_confirm`` says why (plain text or a ``{nl, en}`` pair). ``policy check`` lists every one
    as a warning and ``--strict`` refuses them; the statement never presents them as fact.
    """

    to_confirm: Text | I18n | None = None


class Authority(Strict):
    name: Text
    url: Text
    complaint_url: Text


class Controller(Strict):
    legal_name: Text
    trade_name: Text
    contact_email: EmailStr
    address: Text | None = None
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    supervisory_authority: Authority


class Category(Strict):
    name: I18n
    description: I18n | None = None


class SubjectKind(Strict):
    name: I18n


class FieldSpec(Strict):
    category: CategoryKey
    label: I18n


class Product(Strict):
    name: I18n
    paid: bool
    fields: dict[Key, Requirement]


class Retention(Confirmable):
    years: int = Field(default=0, ge=0, le=100)
    months: int = Field(default=0, ge=0, le=1200)
    days: int = Field(default=0, ge=0, le=36500)
    starts: RetentionEvent = Field(alias="from")
    legal_reference: Text | None = None

    @model_validator(mode="after")
    def _not_zero(self) -> Retention:
        if self.years == 0 and self.months == 0 and self.days == 0:
            raise ValueError("a retention period must be longer than zero")
        return self


class BalancingTest(Strict):
    interest: I18n
    necessity: I18n
    balance: I18n


class ConsentRules(Strict):
    explicit: bool
    double_opt_in: bool
    channels: list[Channel] = Field(min_length=1)
    fields: dict[Key, Requirement]
    direct_marketing: bool


class Purpose(Strict):
    name: I18n
    description: I18n
    # How the Art. 30 record describes the purpose, to an auditor (the description speaks to the
    # customer); the description when absent.
    record: I18n | None = None
    basis: LegalBasis
    legal_reference: Text | None = None
    categories: list[CategoryKey] = Field(min_length=1)
    subject_kinds: list[Key] = Field(min_length=1)
    # The products whose customers the purpose concerns (invoicing: paid ones only); all if absent.
    products: list[Key] | None = None
    retention: Retention
    recipients: list[Key] = []
    consent: ConsentRules | None = None
    balancing_test: BalancingTest | None = None
    # Reports only: the gate never opens one person's data for this purpose (C8).
    aggregate_only: bool = False
    # Answering data-subject requests (CMS: `rights`): only the jobs that carry out a person's
    # own request read personal data under it, and they read all of it (Art. 15 covers every
    # value); a token or role may hold it only to file and follow requests.
    data_subject_requests: bool = False

    @property
    def direct_marketing(self) -> bool:
        return self.consent is not None and self.consent.direct_marketing

    @property
    def objectable(self) -> bool:
        """Art. 21: an objection applies to direct marketing (absolutely) and to processing on
        legitimate interest (until compelling grounds are recorded)."""
        return self.basis == "legitimate_interest" or self.direct_marketing


class Agreement(Confirmable):
    signed: dt.date
    reviewed: dt.date | None = None


class SubProcessor(Confirmable):
    name: Text
    service: I18n
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class Recipient(Confirmable):
    kind: Literal["processor", "third_party", "authority"]
    name: I18n
    description: I18n
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    categories: list[CategoryKey] = Field(min_length=1)
    agreement: Agreement | None = None
    sub_processors: list[SubProcessor] = []
    only_on_lawful_request: bool = False
    transfer_safeguard: Text | None = None


class DisclosureGround(Strict):
    name: I18n
    description: I18n


class CookieCategory(Strict):
    """A choice the cookie banner offers: the cookies that need consent are grouped by these."""

    name: I18n
    description: I18n


class Cookie(Strict):
    name: Text
    purpose: I18n
    party: Literal["first", "third"]
    lifetime: I18n
    kind: Literal["functional", "exempt_analytics", "consent_required"]
    # Only a cookie that needs consent: the key of its ``cookie_categories`` entry.
    consent_category: Key | None = None

    @model_serializer(mode="wrap")
    def _without_unused(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        return _omit_unused(handler(self), consent_category=None)


class Role(Strict):
    name: I18n
    purposes: list[Key]
    # May record compelling grounds outweighing an objection to a legitimate interest (Art. 21(1)).
    decides_objections: bool = False
    # Must log in with a second factor (an authenticator app) besides the password.
    requires_mfa: bool = False


# "rectify" only where listed; "lift" goes to every system that does "restrict".
Operation = Literal["retrieve", "erase", "restrict", "rectify"]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$")]


class System(Strict):
    """A system a request is carried out in: the vault itself, or another system of the
    controller reached by a signed outgoing webhook (waarborg/connectors)."""

    connector: Literal["vault", "webhook"]
    name: I18n
    # webhook: where the signed POSTs go, and the environment variable (or NAME_FILE) that
    # holds the key of their HMAC-SHA256 signature; the key itself never sits in the policy.
    url: Text | None = None
    secret_env: EnvName | None = None
    operations: list[Operation] = Field(default=["retrieve", "erase", "restrict"], min_length=1)
    timeout_seconds: int = Field(default=10, ge=1, le=120)
    attempts: int = Field(default=5, ge=1, le=20)


class VisitLog(Confirmable):
    ip_truncate_after_hours: int = Field(ge=1, le=24 * 30)


def _omit_unused(dumped: dict[str, object], **unused: object) -> dict[str, object]:
    """A key added to the format after policies were recorded is left out of the document while
    it holds its default, so the version (the hash of the document) of a policy that does not
    use it stays what it was."""
    for key, default in unused.items():
        if key in dumped and dumped[key] == default:
            del dumped[key]
    return dumped


class Policy(Strict):
    """A controller's whole privacy policy; the single source of truth."""

    schema_version: Literal[1]
    title: I18n
    controller: Controller
    categories: dict[CategoryKey, Category] = Field(min_length=1)
    subject_kinds: dict[Key, SubjectKind] = Field(min_length=1)
    fields: dict[Key, FieldSpec] = Field(min_length=1)
    products: dict[Key, Product] = Field(min_length=1)
    purposes: dict[Key, Purpose] = Field(min_length=1)
    recipients: dict[Key, Recipient] = {}
    disclosure_grounds: dict[Key, DisclosureGround] = {}
    cookie_categories: dict[Key, CookieCategory] = {}
    cookies: list[Cookie] = []
    roles: dict[Key, Role] = Field(min_length=1)
    security_measures: list[I18n] = Field(min_length=1)
    visit_log: VisitLog | None = None
    # Where requests are carried out; absent: the vault alone.
    systems: dict[Key, System] = {}

    @model_serializer(mode="wrap")
    def _without_unused(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        return _omit_unused(handler(self), cookie_categories={}, systems={})
