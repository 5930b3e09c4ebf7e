"""Reference data for payment checks, loaded once from ``data/reference.yaml``.

Disposable e-mail domains come from the ``disposable-email-domains`` package, which follows
the community-maintained list, so updating the package updates the check.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from disposable_email_domains import blocklist
from pydantic import BaseModel, ConfigDict, Field


class Reference(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rates_as_of: str
    rates_source: str
    eur_per_unit: dict[str, float] = Field(min_length=1)
    high_risk_categories: frozenset[str]
    fraud_reason_codes: frozenset[str]
    fraud_decline_codes: frozenset[str]
    country_timezones: dict[str, str]


@cache
def reference() -> Reference:
    text = resources.files("tradeguard.domains.payments").joinpath("data/reference.yaml")
    return Reference.model_validate(yaml.safe_load(text.read_text(encoding="utf-8")))


CURRENCIES = frozenset(reference().eur_per_unit)


def to_eur(amount: Decimal | float, currency: str) -> float:
    return float(amount) * reference().eur_per_unit[currency]


def is_disposable(domain: str | None) -> bool:
    return bool(domain) and domain in blocklist


@cache
def zone(name: str | None, country: str | None) -> ZoneInfo | None:
    """The buyer's zone: the order's own IANA name, else the country's representative zone."""
    for candidate in (name, reference().country_timezones.get(country or "")):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return None


def is_fraud_chargeback(reason_code: str | None) -> bool:
    return (reason_code or "").strip().upper() in reference().fraud_reason_codes


def is_fraud_decline(code: str | None) -> bool:
    return (code or "").strip().lower() in reference().fraud_decline_codes
