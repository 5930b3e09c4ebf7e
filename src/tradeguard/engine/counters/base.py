"""Velocity counters: count, sum and distinct-count per entity over sliding windows.

Windows are half-open intervals ending at the moment asked about, ``(at - window, at]``, so
an event that arrives late is counted in exactly the windows its own time falls into.
Observations are keyed by event id, which is what makes recording idempotent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal, Protocol

from tradeguard.errors import Unavailable

Aggregate = Literal["count", "sum", "distinct", "age"]
# The counter functions rules and feature sets call, and the aggregate each one asks for.
# ``age`` is the seconds from the oldest observation in the window to the moment asked about:
# how long an e-mail or card has been known, within the window (0 when it is new).
FUNCTIONS: dict[str, Aggregate] = {
    "velocity": "count",
    "velocity_sum": "sum",
    "velocity_distinct": "distinct",
    "velocity_age": "age",
}

STANDARD_WINDOWS = ("10m", "1h", "24h", "30d")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_WINDOW = re.compile(r"^(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$")
MAX_WINDOW = timedelta(days=366)


class WindowError(ValueError):
    """A window spec that cannot be read, e.g. ``"10x"`` or ``"0m"``."""


@lru_cache(maxsize=1024)
def parse_window(spec: str) -> timedelta:
    """``"10m"``, ``"1h"``, ``"24h"``, ``"30d"``, or a combination such as ``"1d12h"``."""
    match = _WINDOW.match(spec.strip()) if spec else None
    if not match or not any(match.groups()):
        raise WindowError(f"window {spec!r} is not like 90s, 10m, 1h, 24h, 30d or 1d12h")
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    window = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if window <= timedelta(0) or window > MAX_WINDOW:
        raise WindowError(f"window {spec!r} must be between 1s and {MAX_WINDOW.days}d")
    return window


@dataclass(frozen=True, slots=True)
class CounterKey:
    """What is counted (``metric``) for which entity (``entity_type`` / ``entity_value``)."""

    metric: str
    entity_type: str
    entity_value: str

    def encode(self) -> str:
        return f"{self.metric}|{self.entity_type}|{self.entity_value}"


@dataclass(frozen=True, slots=True)
class Observation:
    """One event's contribution to one counter."""

    key: CounterKey
    event_id: str
    at: datetime
    amount: float = 1.0
    distinct: str | None = None

    def __post_init__(self) -> None:
        # NaN or infinity would poison every sum over the key for the whole retention period.
        if not math.isfinite(self.amount):
            raise ValueError(f"counter amount must be finite, got {self.amount!r}")


def window_micros(window: timedelta) -> int:
    """A window in whole microseconds, the unit both stores keep times in."""
    return window // timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class CounterQuery:
    key: CounterKey
    window: timedelta
    aggregate: Aggregate = "count"


class CounterStore(Protocol):
    """Where observations live. Implementations: SQL (embedded default) and Redis."""

    def record(self, observations: Sequence[Observation]) -> None:
        """Store observations; one already stored for the same key and event id is ignored."""

    def query(self, queries: Sequence[CounterQuery], at: datetime) -> list[float]:
        """Each query's value over ``(at - window, at]``, in the order asked (``age``: 0 if
        the window is empty)."""


class CounterUnavailable(Unavailable):
    """The counter backend cannot be reached; screening must not guess counts (HTTP 503)."""
