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
