"""Payloads of the account domain's event kinds."""

from __future__ import annotations

from pydantic import Field, StrictBool

from tradeguard.engine.events import IPAddress, Payload


class LoginPayload(Payload):
    """One login attempt, successful or not, as the store's auth service saw it."""

    account_id: str = Field(min_length=1, max_length=200)
    ip: IPAddress
    device_id: str | None = Field(default=None, min_length=1, max_length=200)
    user_agent: str | None = Field(default=None, max_length=1000)
    success: StrictBool
