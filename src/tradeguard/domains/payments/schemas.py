"""Payloads of the payment domain's event kinds: ``order`` and ``order_outcome``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, field_validator

from tradeguard.domains.payments.reference import CURRENCIES, to_eur
from tradeguard.engine.events import IPAddress, Payload


def _country(value: str) -> str:
    if not (len(value) == 2 and value.isascii() and value.isalpha()):
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, e.g. DE")
    return value.upper()


CountryCode = Annotated[str, AfterValidator(_country)]


class Address(Payload):
    line1: str | None = Field(default=None, max_length=300)
    line2: str | None = Field(default=None, max_length=300)
    city: str | None = Field(default=None, max_length=120)
    postal_code: str | None = Field(default=None, max_length=20)
    country: CountryCode


class OrderItem(Payload):
    sku: str | None = Field(default=None, max_length=100)
    category: str = Field(min_length=1, max_length=60)
    quantity: int = Field(default=1, ge=1, le=100_000)
    # Bounds wide enough for dong and rupiah (a laptop is ~25 million VND), finite for storage.
    unit_price: Decimal = Field(ge=0, le=Decimal("1e12"), max_digits=18, decimal_places=4)


class PaymentMethod(Payload):
    type: Literal["card", "wallet", "bank_transfer", "bnpl", "cash_on_delivery", "other"] = "card"
    card_bin: str | None = Field(default=None, pattern=r"^[0-9]{6,8}$")
    card_fingerprint: str | None = Field(default=None, min_length=1, max_length=200)
    card_last4: str | None = Field(default=None, pattern=r"^[0-9]{4}$")
    issuing_country: CountryCode | None = None
    wallet: str | None = Field(default=None, max_length=60)


class OrderPayload(Payload):
    """One order with its payment, as the checkout saw it before authorisation.

    The envelope ``id`` is the order id. Money is exact (Decimal) in the order's currency;
    TradeGuard normalises it to EUR with a dated reference-rate table for comparisons.
    """

    account_id: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    amount: Decimal = Field(gt=0, le=Decimal("1e13"), max_digits=18, decimal_places=4)
    currency: str = Field(min_length=3, max_length=3)
    items: list[OrderItem] = Field(default_factory=list, max_length=500)
    payment: PaymentMethod = Field(default_factory=PaymentMethod)
    billing_address: Address | None = None
    shipping_address: Address | None = None
    ip: IPAddress | None = None
    ip_country: CountryCode | None = None
    device_id: str | None = Field(default=None, min_length=1, max_length=200)
    merchant_id: str | None = Field(default=None, min_length=1, max_length=200)
    account_created_at: AwareDatetime | None = None
    timezone: str | None = Field(default=None, max_length=60, description="buyer's IANA zone")

    @property
    def amount_eur(self) -> float:
        return to_eur(self.amount, self.currency)

    @property
    def email_domain(self) -> str | None:
        return self.email.rpartition("@")[2] if self.email else None

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        code = value.upper()
        if code not in CURRENCIES:
            raise ValueError(f"currency {value!r} is not in the reference-rate table")
        return code

    @field_validator("email")
    @classmethod
    def _lower_email(cls, value: str | None) -> str | None:
        return value.lower() if value else value


Outcome = Literal["authorization_declined", "chargeback", "refund", "confirmed_legitimate"]


class OrderOutcomePayload(Payload):
    """What was learnt about an order later: the payment processor's or an analyst's answer.

    The envelope ``id`` identifies the outcome (a processor's dispute or decline id), so the
    same notification delivered twice is never counted twice.
    """

    order_id: str = Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
    outcome: Outcome
    reason_code: str | None = Field(default=None, max_length=40)
    fraud: bool | None = Field(
        default=None, description="the processor's own fraud flag, when it gives one"
    )
    amount: Decimal | None = Field(
        default=None, ge=0, le=Decimal("1e13"), max_digits=18, decimal_places=4
    )


class OrderOutcomeRead(BaseModel):
    order_id: str
    outcome: Outcome
    occurred_at: datetime
    label: Literal["fraud", "legitimate"] | None
