"""Feature sets: how an event kind turns one event plus its counters into model inputs.

A kind's feature set is plain code over an ``Event`` and a counter look-up. Serving passes
the live counter store's answers; offline replays pass a ``MemoryCounterStore`` fed the same
observations, so training and serving run the very same function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from tradeguard.engine.counters import (
    FUNCTIONS,
    CounterKey,
    CounterQuery,
    CounterStore,
    parse_window,
)
from tradeguard.engine.events import Event

CounterFunction = Literal["velocity", "velocity_sum", "velocity_distinct", "velocity_age"]


@dataclass(frozen=True, slots=True)
class CounterCall:
    """``velocity('order.placed', 'card_fingerprint', '1h')`` as data, so it can be prefetched."""

    function: CounterFunction
    metric: str
    entity: str
    window: str

    def query(self, event: Event) -> CounterQuery | None:
        value = event.entities.get(self.entity)
        if value is None:
            return None
        key = CounterKey(self.metric, self.entity, value)
        return CounterQuery(key, parse_window(self.window), FUNCTIONS[self.function])


# The answer for each call, or None when the event has no such entity (unknown, not zero).
CounterValues = dict[CounterCall, float | None]


def counter_values(
    event: Event, calls: Sequence[CounterCall], store: CounterStore
) -> CounterValues:
    """Every call's answer in one round trip to the store."""
    asked = [(call, call.query(event)) for call in calls]
    queries = [q for _, q in asked if q is not None]
    answers = iter(store.query(queries, event.occurred_at) if queries else [])
    return {call: (next(answers) if q is not None else None) for call, q in asked}


class FeatureSet(Protocol):
    """A versioned list of named features and the code that computes them for one event."""

    @property
    def version(self) -> str: ...

    @property
    def names(self) -> tuple[str, ...]: ...

    @property
    def calls(self) -> tuple[CounterCall, ...]: ...

    def vector(self, event: Event, counters: CounterValues) -> list[float]:
        """Values in ``names`` order; NaN where the event cannot say (no device, no country)."""

    def explain(self, name: str, value: float) -> str:
        """One line a person understands, e.g. "7 orders on this card in the last hour"."""


FeatureSetFor = Callable[[str], FeatureSet | None]
_FEATURE_SETS: dict[str, FeatureSet] = {}


def register_feature_set(kind: str, features: FeatureSet) -> FeatureSet:
    _FEATURE_SETS[kind] = features
    return features


def feature_set(kind: str) -> FeatureSet | None:
    """The kind's feature set, if it has one (kinds register theirs when their domain loads)."""
    from tradeguard.engine.events import event_kinds

    event_kinds()  # loads the built-in domains
    return _FEATURE_SETS.get(kind)


VECTOR_DTYPE = np.dtype("<f8")


def pack(vector: Sequence[float]) -> bytes:
    """A feature vector as stored with its verdict: float64s, NaN kept as "cannot tell"."""
    return np.asarray(vector, dtype=VECTOR_DTYPE).tobytes()


def unpack(blobs: Sequence[bytes], width: int) -> npt.NDArray[np.float64]:
    """Stored vectors as one matrix, decoded in a single pass."""
    if not blobs:
        return np.empty((0, width), dtype=np.float64)
    return np.frombuffer(b"".join(blobs), dtype=VECTOR_DTYPE).reshape(len(blobs), width)
