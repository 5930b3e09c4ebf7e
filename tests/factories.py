"""Builders for events, so tests say only what matters to them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)


def login(
    *,
    account: str = "acct-1",
    ip: str = "198.51.100.7",
    device: str | None = "dev-1",
    success: bool = True,
    at: datetime | None = None,
    minutes: float = 0,
    event_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    moment = (at or T0) + timedelta(minutes=minutes)
    event: dict[str, Any] = {
        "id": event_id or f"login-{next(_ids)}",
        "occurred_at": moment.isoformat(),
        "account_id": account,
        "ip": ip,
        "success": success,
        "user_agent": "Mozilla/5.0 (test)",
    }
    if device is not None:
        event["device_id"] = device
    event.update(extra)
    return event


def signup(
    *,
    account: str = "new-1",
    email: str = "jane.doe@example.com",
    phone: str | None = None,
    country: str = "DE",
    ip: str = "198.51.100.7",
    ip_country: str | None = "DE",
    device: str | None = "dev-1",
    card: str | None = None,
    at: datetime | None = None,
    minutes: float = 0,
    event_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    moment = (at or T0) + timedelta(minutes=minutes)
    event: dict[str, Any] = {
        "id": event_id or f"signup-{next(_ids)}",
        "occurred_at": moment.isoformat(),
        "account_id": account,
        "email": email,
        "country": country,
        "ip": ip,
    }
    for name, value in (
        ("phone", phone),
        ("ip_country", ip_country),
        ("device_id", device),
        ("card_fingerprint", card),
    ):
        if value is not None:
            event[name] = value
    event.update(extra)
    return event


def order(
    *,
    card: str = "card-1",
    account: str | None = "acct-1",
    email: str | None = "buyer@example.com",
    device: str | None = "dev-1",
    amount: str = "49.90",
    currency: str = "EUR",
    card_country: str = "DE",
    ip_country: str | None = "DE",
    ship_to: str | None = "1 Main Street",
    ship_country: str = "DE",
    merchant: str = "store-1",
    at: datetime | None = None,
    minutes: float = 0,
    event_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    moment = (at or T0) + timedelta(minutes=minutes)
    event: dict[str, Any] = {
        "id": event_id or f"order-{next(_ids)}",
        "occurred_at": moment.isoformat(),
        "amount": amount,
        "currency": currency,
        "items": [{"category": "apparel", "quantity": 1, "unit_price": amount}],
        "payment": {
            "type": "card",
            "card_bin": "411111",
            "card_fingerprint": card,
            "issuing_country": card_country,
        },
        "ip": "203.0.113.10",
        "merchant_id": merchant,
    }
    for name, value in (
        ("account_id", account),
        ("email", email),
        ("device_id", device),
        ("ip_country", ip_country),
    ):
        if value is not None:
            event[name] = value
    if ship_to is not None:
        event["shipping_address"] = {
            "line1": ship_to,
            "postal_code": "10115",
            "country": ship_country,
        }
    event.update(extra)
    return event


def outcome(
    order_id: str,
    kind: str = "chargeback",
    *,
    reason: str | None = "10.4",
    at: datetime | None = None,
    minutes: float = 0,
    event_id: str | None = None,
) -> dict[str, Any]:
    moment = (at or T0) + timedelta(minutes=minutes)
    return {
        "id": event_id or f"outcome-{next(_ids)}",
        "occurred_at": moment.isoformat(),
        "order_id": order_id,
        "outcome": kind,
        "reason_code": reason,
    }
