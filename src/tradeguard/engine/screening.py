"""Screening: event -> checks -> verdict -> case, stored together in the caller's transaction."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from tradeguard.db.base import utcnow
from tradeguard.engine import features as feature_sets
from tradeguard.engine import history, lists, writes
from tradeguard.engine.counters import (
    FUNCTIONS,
    CounterKey,
    CounterQuery,
    CounterStore,
    Observation,
    parse_window,
)
from tradeguard.engine.events import Event, get_kind, with_inherited
from tradeguard.engine.features import CounterCall, CounterValues, feature_set
from tradeguard.engine.models import ACTIVE_MODELS
from tradeguard.engine.rulepacks import ACTIVE
from tradeguard.engine.rules import RulePack, evaluate_pack
from tradeguard.engine.verdicts import Signal, Thresholds, Verdict, decide
from tradeguard.errors import Conflict

CounterBackend = Callable[[Session], CounterStore]


def observations(event: Event) -> list[Observation]:
    """What this event adds to the counters its kind declares."""
    found = []
    for spec in get_kind(event.kind).counters:
        value = event.entities.get(spec.entity)
        if value is None or (spec.when is not None and not spec.when(event.payload)):
            continue
        found.append(
            Observation(
                key=CounterKey(spec.metric, spec.entity, value),
                event_id=f"{event.kind}:{event.id}",
                at=event.occurred_at,
                amount=spec.amount(event.payload) if spec.amount else 1.0,
                distinct=spec.distinct(event.payload) if spec.distinct else None,
            )
        )
    return found


@dataclass
class RuleScope:
    """What CEL rules may call for one event; counter answers are cached for the event."""

    event: Event
    counters: CounterStore
    list_hits: list[lists.ListHit]
    _cache: dict[tuple[str, str, str, str], float] = field(default_factory=dict)

    def prefetch(self, packs: list[RulePack], calls: Iterable[CounterCall] = ()) -> None:
        """Ask for every literal ``velocity(...)`` call of the packs and features in one trip."""
        wanted = set().union(*(pack.velocity_calls for pack in packs))
        wanted.update((c.function, c.metric, c.entity, c.window) for c in calls)
        self._fetch([w for w in wanted if w not in self._cache])

    def counter_values(self, calls: Iterable[CounterCall]) -> CounterValues:
        """Feature inputs from the cache; ``None`` where the event lacks the entity."""
        values: CounterValues = {}
        for call in calls:
            if call.entity not in self.event.entities:
                values[call] = None
                continue
            values[call] = self._cached((call.function, call.metric, call.entity, call.window))
        return values

    def _cached(self, key: tuple[str, str, str, str]) -> float:
        if key not in self._cache:
            self._fetch([key])
        return self._cache[key]

    def _fetch(self, calls: list[tuple[str, str, str, str]]) -> None:
        queries, asked = [], []
        for fn, metric, entity, window in calls:
            value = self.event.entities.get(entity)
            if value is None:
                self._cache[(fn, metric, entity, window)] = 0
                continue
            key = CounterKey(metric, entity, value)
            queries.append(CounterQuery(key, parse_window(window), FUNCTIONS[fn]))
            asked.append((fn, metric, entity, window))
        if queries:
            results = self.counters.query(queries, self.event.occurred_at)
            self._cache.update(zip(asked, results, strict=True))

    def _counter(self, fn: str) -> Callable[[str, str, str], float | int]:
        def call(metric: str, entity: str, window: str) -> float | int:
            value = self._cached((fn, metric, entity, window))
            return value if fn in ("velocity_sum", "velocity_age") else int(value)

        return call

    def _listed(self, list_name: str, entity_type: str) -> bool:
        return any(
            h.list_name == list_name and h.entity_type == entity_type for h in self.list_hits
        )

    def functions(self) -> dict[str, Callable[..., Any]]:
        return {
            "velocity": self._counter("velocity"),
            "velocity_sum": self._counter("velocity_sum"),
            "velocity_distinct": self._counter("velocity_distinct"),
            "velocity_age": self._counter("velocity_age"),
            "listed": self._listed,
        }


def screen(session: Session, *, event: Event, counters: CounterStore, actor: str) -> Verdict:
    """Decide on a new event, or return the stored verdict if this kind and id was seen before.

    The event row goes in first with ON CONFLICT DO NOTHING: a duplicate writes nothing and
    takes the replay path, and two racing requests cannot both count the same event.
    """
    started = time.perf_counter()
    event = with_inherited(event, partial(history.stored_entities, session))
    enrich = get_kind(event.kind).enrich
    if enrich is not None:
        # Enrichment may be costly (sanctions screening): a repeat takes the replay path first.
        stored_sha = history.stored_sha(session, event.kind, event.id)
        if stored_sha is not None:
            return replay(session, event, stored_sha)
        event = replace(enrich(session, event), sha256=event.sha256)
    conn = session.connection()
    now = utcnow()
    event_pk = writes.new_event(
        conn,
        {
            "kind": event.kind,
            "event_id": event.id,
            "occurred_at": event.occurred_at,
            "received_at": now,
            "payload": event.fields,
            "payload_sha256": event.sha256,
            "entities": event.entities,
        },
    )
    if event_pk is None:
        return replay(session, event, history.stored_sha(session, event.kind, event.id) or "")
    writes.entities(
        conn,
        [
            {"event_pk": event_pk, "entity_type": t, "entity_value": v}
            for t, v in event.entities.items()
        ],
    )
    counters.record(observations(event))
    found = evaluate(session, event=event, counters=counters)
    decision, score = decide(found.signals, found.thresholds)
    live = [s for s in found.signals if not s.shadow]
    shadow = [s for s in found.signals if s.shadow]
    packs = found.packs
    latency_ms = round((time.perf_counter() - started) * 1000, 3)
    verdict_pk = writes.verdict(
        conn,
        {
            "event_pk": event_pk,
            "decision": decision.value,
            "score": score,
            "signals": [s.model_dump(mode="json") for s in live],
            "shadow_signals": [s.model_dump(mode="json") for s in shadow],
            "rule_packs": packs,
            "model_versions": found.models,
            "latency_ms": latency_ms,
            "actor": actor,
            "created_at": now,
        },
    )
    if found.features is not None:
        writes.feature_vector(
            conn,
            {
                "event_pk": event_pk,
                "feature_set": found.feature_set,
                "vector": feature_sets.pack(found.features),
            },
        )
    case_id = None
    if decision.opens_case:
        case_id = writes.case(
            conn,
            {
                "event_pk": event_pk,
                "verdict_pk": verdict_pk,
                "kind": event.kind,
                "decision": decision.value,
                "status": "open",
                "opened_at": now,
            },
        )
    writes.audit(
        conn,
        {
            "at": now,
            "actor": actor,
            "action": "verdict.create",
            "target_type": "event",
            "target_id": f"{event.kind}:{event.id}",
            "after": {"decision": decision.value, "score": score, "case_id": case_id},
            "versions": packs,
        },
    )
    return Verdict(
        event_id=event.id,
        kind=event.kind,
        occurred_at=event.occurred_at,
        decision=decision,
        score=score,
        signals=live,
        shadow_signals=shadow,
        rule_packs=packs,
        model_versions=found.models,
        latency_ms=latency_ms,
        case_id=case_id,
        created_at=now,
    )


def replay(session: Session, event: Event, stored_sha: str) -> Verdict:
    """The stored verdict for a repeated event; a changed payload under the same id is refused."""
    if stored_sha != event.sha256:
        raise Conflict(
            f"{event.kind} event {event.id!r} was already received with a different payload"
        )
    return history.get(session, event.kind, event.id).verdict.model_copy(update={"replayed": True})


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Everything the checks found for one event, before the decision."""

    signals: list[Signal]
    packs: list[str]
    thresholds: Thresholds
    models: list[str] = field(default_factory=list)
    features: list[float] | None = None  # the model inputs (NaN: the event cannot say)
    feature_set: str | None = None


def evaluate(
    session: Session,
    *,
    event: Event,
    counters: CounterStore,
    packs: list[tuple[RulePack, bool]] | None = None,
) -> Evaluation:
    """All checks for one event: list hits, every running rule pack, then the kind's models.

    Given ``packs`` (a back-test), only those packs run and no model scores the event.
    """
    running = [
        (pack, shadow)
        for pack, shadow in (ACTIVE.get(session) if packs is None else packs)
        if pack.applies_to(event.kind)
    ]
    models = ACTIVE_MODELS.for_kind(session, event.kind) if packs is None else []
    hits = lists.lookup(session, event.entities, at=utcnow())
    scope = RuleScope(event=event, counters=counters, list_hits=hits)
    features = feature_set(event.kind) if models else None
    scope.prefetch([pack for pack, _ in running], features.calls if features else ())
    functions = scope.functions()
    past = get_kind(event.kind).history
    view = event.for_rules(past(session, event) if past else None)
    variables = {"event": view, "entities": event.entities}
    signals = lists.signals_for(hits)
    for pack, shadow in running:
        signals.extend(evaluate_pack(pack, event.kind, variables, functions, force_shadow=shadow))
    thresholds = Thresholds.strictest(
        [p.spec.thresholds for p, shadow in running if p.spec.thresholds and not shadow]
    )
    labels = [f"{p.label}{' (shadow)' if shadow else ''}" for p, shadow in running]
    if features is None:
        return Evaluation(signals, labels, thresholds)
    vector = features.vector(event, scope.counter_values(features.calls))
    signals.extend(model.signal(vector, shadow=shadow) for model, shadow in models)
    return Evaluation(
        signals,
        labels,
        thresholds,
        models=[f"{m.label}{' (shadow)' if shadow else ''}" for m, shadow in models],
        features=vector,
        feature_set=features.version,
    )
