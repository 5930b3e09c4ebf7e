"""Payloads of the account domain's event kinds."""

from __future__ import annotations

from pydantic import Field, StrictBool, field_validator

from tradeguard.engine.events import IPAddress, Payload


class LoginPayload(Payload):
    """One login attempt, successful or not, as the store's auth service saw it."""

    account_id: str = Field(min_length=1, max_length=200)
    ip: IPAddress
    device_id: str | None = Field(default=None, min_length=1, max_length=200)
    user_agent: str | None = Field(default=None, max_length=1000)
    success: StrictBool
    # ISO 3166-1 alpha-2 country of the IP, as the store's CDN or edge reported it
    # (CF-IPCountry, CloudFront-Viewer-Country...): TradeGuard ships no geolocation database.
    ip_country: str | None = Field(default=None, min_length=2, max_length=2)

    @field_validator("ip_country")
    @classmethod
    def _alpha2(cls, value: str | None) -> str | None:
        if value is not None and not (value.isascii() and value.isalpha()):
            raise ValueError("ip_country must be two letters (ISO 3166-1 alpha-2), e.g. DE")
        return value.upper() if value else value
