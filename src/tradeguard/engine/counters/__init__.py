"""Velocity counters behind one interface: SQL and Redis for serving, memory for replays."""

from tradeguard.engine.counters.base import (
    FUNCTIONS,
    STANDARD_WINDOWS,
    Aggregate,
    CounterKey,
    CounterQuery,
    CounterStore,
    CounterUnavailable,
    Observation,
    WindowError,
    parse_window,
)
from tradeguard.engine.counters.memory import MemoryCounterStore
from tradeguard.engine.counters.redis import RedisCounterStore
from tradeguard.engine.counters.sql import SqlCounterStore

__all__ = [
    "FUNCTIONS",
    "STANDARD_WINDOWS",
    "Aggregate",
    "CounterKey",
    "CounterQuery",
    "CounterStore",
    "CounterUnavailable",
    "MemoryCounterStore",
    "Observation",
    "RedisCounterStore",
    "SqlCounterStore",
    "WindowError",
    "parse_window",
]
