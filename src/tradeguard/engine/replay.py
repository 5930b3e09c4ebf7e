"""Offline replays: history through the serving code, with counters kept in memory.

Events go through the same entity inheritance, counter observations and feature code as
live screening; only the counter store differs. Events must come oldest first, as they
happened, so each one sees exactly the history that existed at its time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from tradeguard.engine.counters import MemoryCounterStore
from tradeguard.engine.events import Event, inherited_kinds, with_inherited
from tradeguard.engine.features import counter_values, feature_set
from tradeguard.engine.screening import observations


@dataclass(frozen=True, slots=True)
class Replayed:
    event: Event
    features: list[float]


def replay(
    events: Iterable[Event], *, wanted: Callable[[Event], bool] = lambda _: True
) -> Iterator[Replayed]:
    """Feature vectors of the wanted events whose kind has a feature set, in the order given."""
    counters = MemoryCounterStore()
    remember = inherited_kinds()
    remembered: dict[tuple[str, str], dict[str, str]] = {}
    for parsed in events:
        event = with_inherited(parsed, lambda kind, id_: remembered.get((kind, id_)))
        counters.record(observations(event))
        if event.kind in remember:
            remembered[(event.kind, event.id)] = event.entities
        features = feature_set(event.kind)
        if features is not None and wanted(event):
            values = counter_values(event, features.calls, counters)
            yield Replayed(event, features.vector(event, values))
