"""Payloads of the ``merchant`` and ``merchant_rescreen`` kinds, and the checks stored with them.

A merchant application is what a seller typed into the onboarding form: every list and string
is bounded, country codes are ISO 3166-1 alpha-2 and upper-cased, the phone number is turned
into E.164 and the e-mail address into its normal form, so equal facts compare equal when
merchants are linked. ``checks`` is computed by TradeGuard at intake (see ``checks.py``):
whatever a client sends there is replaced before the event is stored or screened.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Annotated, Literal
from urllib.parse import urlsplit, urlunsplit

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from rigour.territories import get_territories

from tradeguard.engine.events import IPAddress, Payload

# Two-letter codes rigour knows that are not countries a company or a person can be from.
_NOT_COUNTRIES = frozenset({"AC", "CP", "CQ", "DG", "EU", "IC", "IP", "TA", "UN", "ZZ"})
_BIRTH_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_ID = r"^[\x21-\x7e]+$"  # printable ASCII: a merchant id becomes part of event ids


@cache
def iso_countries() -> frozenset[str]:
    """Current ISO 3166-1 alpha-2 codes (plus XK, Kosovo, which banks and lists use)."""
    return frozenset(
        t.code.upper()
        for t in get_territories()
        if len(t.code) == 2 and not t.is_historical and t.code.upper() not in _NOT_COUNTRIES
    )


def _country(value: str) -> str:
    code = value.strip().upper()
    if code not in iso_countries():
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. DE, CN)")
    return code


Country = Annotated[str, Field(min_length=2, max_length=2), AfterValidator(_country)]
Name = Annotated[str, Field(min_length=1, max_length=300)]
Role = Literal["owner", "director", "signatory"]


def _birth_date(value: str) -> str:
    found = _BIRTH_DATE.match(value)
    if not found:
        raise ValueError("birth_date must be YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(p) if p else None for p in found.groups())
    assert year is not None
    try:
        date(year, month or 1, day or 1)
    except ValueError:
        raise ValueError(f"birth_date {value!r} is not a calendar date") from None
    if not 1900 <= year <= date.today().year:
        raise ValueError(f"birth_date year {year} is not plausible")
    return value


class MerchantPerson(Payload):
    """An owner, director or signatory: each one is screened against the sanctions lists."""

    name: Name
    birth_date: Annotated[str, AfterValidator(_birth_date)] | None = None
    nationality: Country | None = None
    roles: list[Role] = Field(min_length=1, max_length=3)
    ownership_pct: float | None = Field(default=None, ge=0, le=100)
    id_number: str | None = Field(default=None, min_length=1, max_length=64)

    @field_validator("roles")
    @classmethod
    def _unique_roles(cls, roles: list[Role]) -> list[Role]:
        if len(set(roles)) != len(roles):
            raise ValueError("a role is listed twice")
        return roles


class MerchantAddress(Payload):
    kind: Literal["registered", "warehouse", "return", "operating"]
    lines: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=4
    )
    city: str | None = Field(default=None, min_length=1, max_length=100)
    postcode: str | None = Field(default=None, min_length=1, max_length=20)
    country: Country


class TaxId(Payload):
    """A tax or VAT number; ``scheme`` names the checker ("vat", "ein", "gstin", "de.stnr"...).

    Without a scheme, the number is read as the VAT (or equivalent) number of ``country``, or
    of the registration country.
    """

    scheme: str | None = Field(default=None, min_length=1, max_length=40)
    value: str = Field(min_length=1, max_length=64)
    country: Country | None = None


class BankAccount(Payload):
    """Where payouts go. The IBAN is stored compact and upper-case, so equal accounts link."""

    iban: str | None = Field(default=None, min_length=5, max_length=42)
    account_number: str | None = Field(default=None, min_length=1, max_length=64)
    bic: str | None = Field(default=None, min_length=8, max_length=14)
    country: Country | None = None
    holder_name: str | None = Field(default=None, min_length=1, max_length=300)

    @field_validator("iban", "bic")
    @classmethod
    def _compact(cls, value: str | None) -> str | None:
        if value is None:
            return None
        compact = re.sub(r"[\s-]", "", value).upper()
        if not compact.isalnum() or not compact.isascii():
            raise ValueError("must contain only letters, digits and spaces")
        return compact

    @model_validator(mode="after")
    def _some_account(self) -> BankAccount:
        if self.iban is None and self.account_number is None:
            raise ValueError("a bank account needs an iban or an account_number")
        return self


class MerchantDocument(Payload):
    """An uploaded document, by reference: TradeGuard keeps its digest, not its bytes."""

    kind: str = Field(min_length=1, max_length=40)
    reference: str = Field(min_length=1, max_length=300)
    sha256: str

    @field_validator("sha256")
    @classmethod
    def _hex(cls, value: str) -> str:
        value = value.lower()
        if not _HEX64.match(value):
            raise ValueError("sha256 must be 64 hexadecimal characters")
        return value


# -- the checks TradeGuard computes ---------------------------------------------------------


class IdentifierCheck(Payload):
    """One registration number, tax id, IBAN or BIC and what its format and check digits say.

    ``checked`` is false when TradeGuard has no checker for the scheme: such a number is
    never called invalid.
    """

    field: str = Field(max_length=100)
    scheme: str = Field(max_length=60)
    value: str = Field(max_length=100)
    valid: bool
    checked: bool = True
    detail: str = Field(max_length=500)


class FeatureExplanation(Payload):
    score: float
    detail: str | None = Field(default=None, max_length=500)
    query: str | None = Field(default=None, max_length=500)
    candidate: str | None = Field(default=None, max_length=500)


class ScreeningHit(Payload):
    """A listed party resembling a screened one; ``match`` once the score reaches the threshold."""

    model_config = ConfigDict(
        serialize_by_alias=True, validate_by_name=True, validate_by_alias=True
    )

    source: str = Field(max_length=80)  # the list key: "un", "ofac-sdn", "csv:own-list"
    entity_id: str = Field(max_length=200)
    schema_: str = Field(alias="schema", max_length=40)
    caption: str = Field(max_length=500)
    programs: list[Annotated[str, Field(max_length=200)]] = Field(max_length=20)
    score: float = Field(ge=0, le=1)
    match: bool
    features: dict[str, FeatureExplanation] = Field(max_length=30)
    # One sentence for the reason a person reads: "matches UN-listed IVAN PETROV (score 0.93:
    # name match, birth date match)".
    explanation: str = Field(default="", max_length=500)


class PartyScreening(Payload):
    """The company ("company") or one person ("people[0]"...) and its best hits, five at most."""

    party: str = Field(max_length=20)
    role: str = Field(max_length=40)
    name: str = Field(max_length=300)
    hits: list[ScreeningHit] = Field(default_factory=list, max_length=5)


class Screening(Payload):
    """Sanctions screening of every party; ``lists`` empty means nothing could be screened."""

    lists: list[Annotated[str, Field(max_length=200)]] = Field(max_length=20)
    threshold: float = Field(ge=0, le=1)
    parties: list[PartyScreening] = Field(max_length=31)
    best_score: float = Field(ge=0, le=1)
    matches: int = Field(ge=0)


class JurisdictionFlag(Payload):
    """A country of the merchant on a FATF list; ``countermeasures`` for the strictest call."""

    country: str = Field(min_length=2, max_length=2)
    where: str = Field(max_length=40)  # registration, bank, address:warehouse, people[1], ip
    status: Literal["call_for_action", "increased_monitoring"]
    as_of: str = Field(max_length=20)
    countermeasures: bool = False


class RingLink(Payload):
    """Another merchant that shares one fact with this application."""

    merchant_id: str = Field(max_length=120)
    entity_type: str = Field(max_length=40)
    entity_value: str = Field(max_length=512)
    decision: str = Field(default="", max_length=16)  # that merchant's latest verdict


class MerchantChecks(Payload):
    """Everything TradeGuard found about an application; rules read it as ``event.checks``."""

    identifiers: list[IdentifierCheck] = Field(max_length=50)
    screening: Screening
    jurisdictions: list[JurisdictionFlag] = Field(max_length=100)
    countries: dict[str, list[str]] = Field(max_length=20)
    inconsistencies: list[Annotated[str, Field(max_length=500)]] = Field(max_length=20)
    ring: list[RingLink] = Field(max_length=50)
    ring_merchants: int = Field(ge=0)


# -- the payloads -----------------------------------------------------------------------------


class MerchantPayload(Payload):
    """One merchant application or update, as the onboarding form submitted it."""

    merchant_id: str = Field(min_length=1, max_length=120, pattern=_ID)
    action: Literal["application", "update"] = "application"
    legal_name: Name
    trading_names: list[Name] = Field(default_factory=list, max_length=10)
    registration_number: str | None = Field(default=None, min_length=1, max_length=64)
    registration_country: Country
    tax_ids: list[TaxId] = Field(default_factory=list, max_length=10)
    people: list[MerchantPerson] = Field(default_factory=list, max_length=30)
    addresses: list[MerchantAddress] = Field(default_factory=list, max_length=10)
    bank: BankAccount | None = None
    website: str | None = Field(default=None, min_length=3, max_length=300)
    email: str | None = Field(default=None, min_length=3, max_length=320)
    phone: str | None = Field(default=None, min_length=3, max_length=40)
    documents: list[MerchantDocument] = Field(default_factory=list, max_length=20)
    device_id: str | None = Field(default=None, min_length=1, max_length=200)
    ip: IPAddress | None = None
    ip_country: Country | None = None
    # Computed by TradeGuard at intake; a value sent by the client is replaced, never trusted.
    checks: MerchantChecks | None = None

    @field_validator("website")
    @classmethod
    def _website(cls, value: str | None) -> str | None:
        return None if value is None else normal_website(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            found = validate_email(value, check_deliverability=False)
        except EmailNotValidError as exc:
            raise ValueError(f"not a valid e-mail address: {exc}") from None
        return f"{found.local_part.lower()}@{found.ascii_domain}"

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        return e164(value, info.data.get("registration_country"))


class MerchantRescreenPayload(Payload):
    """A sanctions list changed and an existing merchant now resembles a listed party."""

    merchant_id: str = Field(min_length=1, max_length=120, pattern=_ID)
    reason: str = Field(min_length=1, max_length=300)
    list_versions: list[Annotated[str, Field(max_length=200)]] = Field(max_length=20)
    new_hits: list[PartyScreening] = Field(min_length=1, max_length=31)
    screening: Screening


def e164(text: str, region: str | None) -> str:
    """The number in E.164 (without ``+``, read as ``region``'s); ValueError when invalid."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {exc._msg}") from None
    if not phonenumbers.is_valid_number(number):
        where = f" (read as {region} without a country code)" if region else ""
        raise ValueError(f"not a valid phone number{where}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normal_website(text: str) -> str:
    """``Shop.Example.COM/about`` -> ``https://shop.example.com/about``; else ValueError."""
    url = text if "://" in text else f"https://{text}"
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("website must be an http or https address")
    host = (parts.hostname or "").rstrip(".")
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError(f"website host {host!r} is not a valid domain name") from None
    labels = host.split(".")
    if len(labels) < 2 or not all(_HOST_LABEL.match(label) for label in labels):
        raise ValueError(f"website host {host!r} is not a valid domain name")
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, ""))
