"""Counters in process memory: the offline twin of the SQL and Redis stores.

Offline feature builds (training sets, the handbook evaluation, re-scoring history) replay
events through this store and the same feature code that serving runs, so training and
serving cannot drift apart. It passes the same contract suite as the other stores.
"""

from __future__ import annotations

import threading
from bisect import bisect_right, insort
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate

from tradeguard.db.base import to_micros
from tradeguard.engine.counters.base import CounterQuery, Observation, window_micros


@dataclass(slots=True)
class _Series:
    """One key's observations ordered by time, with running sums for O(log n) windows."""

    times: list[int] = field(default_factory=list)
    amounts: list[float] = field(default_factory=list)
    distinct: list[str | None] = field(default_factory=list)
    sums: list[float] = field(default_factory=lambda: [0.0])

    def add(self, at: int, amount: float, distinct: str | None) -> None:
        if not self.times or at >= self.times[-1]:
            self.times.append(at)
            self.amounts.append(amount)
            self.distinct.append(distinct)
            self.sums.append(self.sums[-1] + amount)
            return
        # Late arrival: rare, so re-sorting this one key is cheaper than a cleverer structure.
        rows = sorted(zip(self.times, self.amounts, self.distinct, strict=True), key=_time)
        insort(rows, (at, amount, distinct), key=_time)
        self.times = [r[0] for r in rows]
        self.amounts = [r[1] for r in rows]
        self.distinct = [r[2] for r in rows]
        self.sums = [0.0, *accumulate(self.amounts)]

    def window(self, start: int, end: int) -> tuple[int, int]:
        """Index range of observations in ``(start, end]``."""
        return bisect_right(self.times, start), bisect_right(self.times, end)


def _time(row: tuple[int, float, str | None]) -> int:
    return row[0]


class MemoryCounterStore:
    def __init__(self) -> None:
        self._series: dict[str, _Series] = {}
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()  # the contract has concurrent writers; replays have one

    def record(self, observations: Sequence[Observation]) -> None:
        with self._lock:
            self._record(observations)

    def _record(self, observations: Sequence[Observation]) -> None:
        for obs in observations:
            key = obs.key.encode()
            if (key, obs.event_id) in self._seen:
                continue
            self._seen.add((key, obs.event_id))
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = _Series()
            series.add(to_micros(obs.at), obs.amount, obs.distinct)

    def query(self, queries: Sequence[CounterQuery], at: datetime) -> list[float]:
        end = to_micros(at)
        return [self._one(q, end) for q in queries]

    def _one(self, query: CounterQuery, end: int) -> float:
        series = self._series.get(query.key.encode())
        if series is None:
            return 0
        lo, hi = series.window(end - window_micros(query.window), end)
        if query.aggregate == "count":
            return hi - lo
        if query.aggregate == "sum":
            return series.sums[hi] - series.sums[lo]
        if query.aggregate == "age":
            return (end - series.times[lo]) / 1e6 if hi > lo else 0.0
        return len({d for d in series.distinct[lo:hi] if d is not None})
