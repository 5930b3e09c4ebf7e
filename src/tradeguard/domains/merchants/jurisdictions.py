"""FATF high-risk and monitored jurisdictions, and where an application touches them.

The two FATF lists ("call for action" and "increased monitoring") are data, in
``data/fatf.yaml`` with the plenary they come from: a store updates the file (or points to its
own copy) after each plenary, without a code change. The file is validated on load, so a
broken edit fails loudly with the field at fault instead of silently flagging nothing.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tradeguard.domains.merchants.countries import bank_country, ip_country
from tradeguard.domains.merchants.schemas import JurisdictionFlag, MerchantPayload, iso_countries
from tradeguard.errors import TradeGuardError, readable

Status = Literal["call_for_action", "increased_monitoring"]


class JurisdictionDataError(TradeGuardError):
    """The FATF list file is missing or does not follow its schema."""

    title = "Bad jurisdiction data"


class _Listed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    country: str
    name: str = Field(min_length=1, max_length=100)

    @field_validator("country")
    @classmethod
    def _iso(cls, value: str) -> str:
        if value not in iso_countries():
            raise ValueError(f"{value!r} is not an upper-case ISO 3166-1 alpha-2 code")
        return value


class _CallForAction(_Listed):
    measure: Literal["countermeasures", "enhanced_due_diligence"]


class FatfLists(BaseModel):
    """One FATF plenary's two lists, as published."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    plenary: str = Field(min_length=1, max_length=40)  # "June 2026"
    as_of: date  # the day the plenary's statements were published
    verified_on: date
    source: str = Field(pattern=r"^https://")
    verified_from: list[str] = Field(default_factory=list)
    call_for_action: list[_CallForAction] = Field(min_length=1)
    increased_monitoring: list[_Listed]

    @model_validator(mode="after")
    def _each_country_once(self) -> FatfLists:
        codes = [c.country for c in (*self.call_for_action, *self.increased_monitoring)]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"countries listed more than once: {', '.join(repeated)}")
        return self

    def status(self, country: str) -> tuple[Status, bool] | None:
        """``(status, countermeasures)`` of a listed country; None when it is on neither list."""
        for listed in self.call_for_action:
            if listed.country == country:
                return "call_for_action", listed.measure == "countermeasures"
        if any(listed.country == country for listed in self.increased_monitoring):
            return "increased_monitoring", False
        return None


def load_fatf(path: Path | None = None) -> FatfLists:
    """The shipped lists, or a store's own file; a bad file raises ``JurisdictionDataError``."""
    return _shipped() if path is None else _read(path.read_text("utf-8"), str(path))


@cache
def _shipped() -> FatfLists:
    source = resources.files("tradeguard.domains.merchants").joinpath("data/fatf.yaml")
    return _read(source.read_text("utf-8"), "data/fatf.yaml")


def _read(text: str, where: str) -> FatfLists:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise JurisdictionDataError(f"FATF list file {where} is not valid YAML: {exc}") from None
    try:
        return FatfLists.model_validate(document)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in err["loc"]) or "(file)"
        problem = readable(err["msg"])
        raise JurisdictionDataError(f"FATF list file {where}: {field}: {problem}") from None


def places(merchant: MerchantPayload) -> list[tuple[str, str]]:
    """``(where, country)`` for every country the application ties the merchant to."""
    found = [("registration", merchant.registration_country)]
    if country := bank_country(merchant):
        found.append(("bank", country))
    found.extend((f"address:{a.kind}", a.country) for a in merchant.addresses)
    found.extend(
        (f"people[{i}]", p.nationality) for i, p in enumerate(merchant.people) if p.nationality
    )
    if country := ip_country(merchant):
        found.append(("ip", country))
    return list(dict.fromkeys(found))


def flags(merchant: MerchantPayload, lists: FatfLists | None = None) -> list[JurisdictionFlag]:
    """Every place of the application in a listed jurisdiction, call for action first."""
    lists = lists or load_fatf()
    found = []
    for where, country in places(merchant):
        status = lists.status(country)
        if status is None:
            continue
        listed, countermeasures = status
        found.append(
            JurisdictionFlag(
                country=country,
                where=where,
                status=listed,
                as_of=lists.as_of.isoformat(),
                countermeasures=countermeasures,
            )
        )
    return sorted(found, key=lambda f: f.status != "call_for_action")
