"""Payloads of the account domain's event kinds."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StrictBool,
    field_validator,
    model_validator,
)

from tradeguard.engine.events import IPAddress, Payload

AccountType = Literal["buyer", "seller", "staff"]
# Why a login failed, as the store's auth service knows it: attempts on accounts that do not
# exist are the clearest trace of a leaked credential list being replayed.
FailureReason = Literal["wrong_password", "unknown_account", "second_factor", "locked"]


class LoginPayload(Payload):
    """One login attempt, successful or not, as the store's auth service saw it."""

    account_id: str = Field(min_length=1, max_length=200)
    account_type: AccountType = "buyer"
    ip: IPAddress
    device_id: str | None = Field(default=None, min_length=1, max_length=200)
    user_agent: str | None = Field(default=None, max_length=1000)
    success: StrictBool
    failure_reason: FailureReason | None = None
    # ISO 3166-1 alpha-2 country of the IP, as the store's CDN or edge reported it
    # (CF-IPCountry, CloudFront-Viewer-Country...); when absent, TradeGuard looks the
    # address up offline (iptocc).
    ip_country: str | None = Field(default=None, min_length=2, max_length=2)
    # Where the store's own city-level geolocation put the IP, if it has one; makes
    # impossible-travel checks exact instead of a country-to-country lower bound.
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _consistent(self) -> LoginPayload:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude come together or not at all")
        if self.success and self.failure_reason is not None:
            raise ValueError("a successful login has no failure_reason")
        return self

    @field_validator("ip_country")
    @classmethod
    def _alpha2(cls, value: str | None) -> str | None:
        if value is not None and not (value.isascii() and value.isalpha()):
            raise ValueError("ip_country must be two letters (ISO 3166-1 alpha-2), e.g. DE")
        return value.upper() if value else value


class SignupPayload(Payload):
    """One new account as the store's registration form submitted it, before it is created.

    ``email`` and ``phone`` are taken as typed: a malformed address or number is a finding the
    ``signup`` checks report (the store still wants a verdict), not a refused request. Only
    what cannot be an address or a number at all (not text, over the RFC length) is refused.
    """

    account_id: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=1, max_length=320)
    phone: str | None = Field(default=None, min_length=1, max_length=40)
    country: str = Field(min_length=2, max_length=2, description="the country the user stated")
    ip: IPAddress
    # ISO 3166-1 alpha-2, as the store's CDN or edge reported it; derived offline when absent.
    ip_country: str | None = Field(default=None, min_length=2, max_length=2)
    device_id: str | None = Field(default=None, min_length=1, max_length=200)
    card_fingerprint: str | None = Field(default=None, min_length=1, max_length=200)
    account_type: AccountType = "buyer"
    user_agent: str | None = Field(default=None, max_length=1000)
    name: str | None = Field(default=None, max_length=200)

    @field_validator("country", "ip_country")
    @classmethod
    def _signup_alpha2(cls, value: str | None) -> str | None:
        if value is not None and not (value.isascii() and value.isalpha()):
            raise ValueError("must be two letters (ISO 3166-1 alpha-2), e.g. DE")
        return value.upper() if value else value


# Password policy (POST /v1/passwords/check): what the store sends and what it gets back.
PasswordReasonCode = Literal[
    "too_short", "too_long", "common_password", "contains_context", "breached", "too_guessable"
]


class PasswordContext(BaseModel):
    """Who the password is for: a password built from these is among the first guesses."""

    model_config = ConfigDict(extra="forbid")

    user_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    store_name: str | None = Field(default=None, max_length=200)


class PasswordCheck(BaseModel):
    """A prospective password; ``SecretStr`` keeps it out of reprs, logs and tracebacks."""

    model_config = ConfigDict(extra="forbid")

    password: SecretStr
    with_second_factor: StrictBool = False
    context: PasswordContext | None = None


class PasswordReason(BaseModel):
    code: PasswordReasonCode
    message: str


class PasswordPolicyRead(BaseModel):
    min_length: int
    max_length: int
    min_score: int
    with_second_factor: bool


class PasswordCheckResult(BaseModel):
    """The outcome, never the password: ``breached_count`` is None with no breach corpus set."""

    acceptable: bool
    score: int = Field(ge=0, le=4)
    reasons: list[PasswordReason]
    suggestions: list[str]
    breached_count: int | None
    policy: PasswordPolicyRead
