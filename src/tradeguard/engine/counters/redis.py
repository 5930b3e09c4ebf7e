"""Counters in Redis, for several API workers: one sorted set per counter key.

Members are ``[event id, amount, distinct value]`` as JSON and scores are event times in
microseconds, so ``ZADD NX`` ignores a replayed event and a late event lands at its own time.
Screening inserts the event row before recording counters, so two requests racing with one
id and different payloads cannot both get here: the loser fails on the unique key first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import orjson
import redis

from tradeguard.db.base import to_micros
from tradeguard.engine.counters.base import CounterQuery, CounterUnavailable, Observation

DEFAULT_RETENTION = timedelta(days=400)


class RedisCounterStore:
    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "tg:c:",
        retention: timedelta = DEFAULT_RETENTION,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.retention_us = int(retention.total_seconds() * 1_000_000)

    def record(self, observations: Sequence[Observation]) -> None:
        if not observations:
            return
        pipe = self.client.pipeline(transaction=False)
        for o in observations:
            name = self.prefix + o.key.encode()
            at = to_micros(o.at)
            member = orjson.dumps([o.event_id, o.amount, o.distinct])
            pipe.zadd(name, {member: at}, nx=True)
            pipe.zremrangebyscore(name, "-inf", f"({at - self.retention_us}")
            pipe.pexpire(name, self.retention_us // 1000, gt=True)
            pipe.pexpire(name, self.retention_us // 1000, nx=True)
        self._run(pipe)

    def query(self, queries: Sequence[CounterQuery], at: datetime) -> list[float]:
        """One pipeline per call: ZCOUNT for counts, the members for sums and distincts."""
        hi = to_micros(at)
        pipe = self.client.pipeline(transaction=False)
        for q in queries:
            name = self.prefix + q.key.encode()
            lo = f"({hi - int(q.window.total_seconds() * 1_000_000)}"
            if q.aggregate == "count":
                pipe.zcount(name, lo, hi)
            else:
                pipe.zrangebyscore(name, lo, hi)
        results = self._run(pipe)
        return [_aggregate(q, r) for q, r in zip(queries, results, strict=True)]

    @staticmethod
    def _run(pipe: redis.client.Pipeline) -> list[object]:
        try:
            return list(pipe.execute())
        except redis.RedisError as exc:
            raise CounterUnavailable(f"Redis counter store unavailable: {exc}") from exc


def _aggregate(query: CounterQuery, result: object) -> float:
    if query.aggregate == "count":
        return float(result)  # type: ignore[arg-type]
    members = [orjson.loads(m) for m in result]  # type: ignore[attr-defined]
    if query.aggregate == "sum":
        return float(sum(m[1] for m in members))
    return float(len({m[2] for m in members if m[2] is not None}))
