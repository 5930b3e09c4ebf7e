"""Counters in Redis, for several API workers: one sorted set per counter key.

Members are ``[event id, amount, distinct value]`` as JSON and scores are event times in
microseconds, so ``ZADD NX`` ignores a replayed event and a late event lands at its own time.
Screening inserts the event row before recording counters, so two requests racing with one
id and different payloads cannot both get here: the loser fails on the unique key first.
Scores are doubles; epoch microseconds stay exact in them until 2255 (2**53), checked below.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
import redis

from tradeguard.db.base import to_micros
from tradeguard.engine.counters.base import (
    CounterQuery,
    CounterUnavailable,
    Observation,
    window_micros,
)

DEFAULT_RETENTION = timedelta(days=400)
_EXACT_IN_DOUBLE = 2**53


class RedisCounterStore:
    """A :class:`CounterStore` on Redis. Writes are idempotent, so a failed call may be retried."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str = "tg:c:",
        retention: timedelta = DEFAULT_RETENTION,
    ) -> None:
        if retention <= timedelta(0):
            raise ValueError("retention must be positive")
        self.client = client
        self.prefix = prefix
        self.retention_us = window_micros(retention)
        self._ttl_ms = max(1, self.retention_us // 1000)

    def record(self, observations: Sequence[Observation]) -> None:
        """One pipeline: per key a ZADD NX of its members, a trim past retention, a PEXPIRE.

        The trim is relative to the newest time in this call, so a late batch of old events
        never removes newer ones; the TTL lets a key that stops being written disappear.
        """
        if not observations:
            return
        by_key: dict[str, dict[str, tuple[bytes, int]]] = {}
        for o in observations:
            events = by_key.setdefault(self.prefix + o.key.encode(), {})
            if o.event_id not in events:  # within a call the first one wins, as in SQL
                events[o.event_id] = (_member(o), _score(to_micros(o.at)))
        pipe = self.client.pipeline(transaction=False)
        for name, events in by_key.items():
            members = dict(events.values())
            newest = max(members.values())
            pipe.zadd(name, members, nx=True)
            pipe.zremrangebyscore(name, "-inf", f"({newest - self.retention_us}")
            pipe.pexpire(name, self._ttl_ms)
        _execute(pipe)

    def query(self, queries: Sequence[CounterQuery], at: datetime) -> list[float]:
        """One pipeline per call, one command per distinct (key, window).

        A range that only needs counting is a ZCOUNT; one that needs a sum or a distinct
        count fetches its members once (``ZRANGE ... BYSCORE``) and answers all three.
        """
        if not queries:
            return []
        hi = _score(to_micros(at))
        slots: dict[tuple[str, int], bool] = {}  # (set name, lower bound) -> needs members
        for q in queries:
            slot = (self.prefix + q.key.encode(), hi - window_micros(q.window))
            slots[slot] = slots.get(slot, False) or q.aggregate != "count"
        pipe = self.client.pipeline(transaction=False)
        for (name, lo), members in slots.items():
            if members:  # "(" makes the lower bound exclusive: windows are (at - w, at]
                pipe.zrange(name, f"({lo}", hi, byscore=True, withscores=True)
            else:
                pipe.zcount(name, f"({lo}", hi)
        answers = [_aggregates(found, hi) for found in _execute(pipe)]
        results = dict(zip(slots, answers, strict=True))
        return [
            results[(self.prefix + q.key.encode(), hi - window_micros(q.window))][q.aggregate]
            for q in queries
        ]


def _execute(pipe: redis.client.Pipeline) -> list[Any]:
    """Run a pipeline; any Redis failure means counts cannot be trusted, so screening stops.

    Connection loss and timeouts are the usual cause, but READONLY after a fail-over, LOADING
    and OOM are answers of a server that cannot serve counters right now just the same.
    """
    try:
        return list(pipe.execute())
    except redis.RedisError as exc:
        raise CounterUnavailable(f"Redis counter store unavailable: {exc}") from exc


def _member(o: Observation) -> bytes:
    """JSON keeps the three fields apart whatever characters the event id or value hold."""
    return orjson.dumps([o.event_id, float(o.amount), o.distinct])


def _aggregates(result: Any, hi: int) -> dict[str, float]:
    """The aggregates of one range: from ZCOUNT's integer, or from its (member, score) pairs,
    oldest first."""
    if isinstance(result, int):
        return {"count": float(result)}
    members = [orjson.loads(m) for m, _ in result]
    return {
        "count": float(len(members)),
        "sum": float(sum(m[1] for m in members)),
        "distinct": float(len({m[2] for m in members if m[2] is not None})),
        "age": (hi - int(result[0][1])) / 1e6 if result else 0.0,
    }


def _score(micros: int) -> int:
    if abs(micros) >= _EXACT_IN_DOUBLE:
        raise ValueError("time is too far from 1970 to be an exact Redis score")
    return micros
