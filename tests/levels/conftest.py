"""A store with rows written at known times, so each measurement has a known answer."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy.orm import Session

from tradeguard.db.session import unit_of_work
from tradeguard.engine.tables import CaseRecord, EventEntity, EventRecord, VerdictRecord
from tradeguard.levels.evidence import Context, Measurement, load_collectors, measure
from tradeguard.runtime import Runtime

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)


@dataclass
class Store:
    session: Session
    runtime: Runtime

    def event(
        self,
        kind: str,
        at: datetime,
        payload: dict[str, Any] | None = None,
        entities: dict[str, str] | None = None,
    ) -> EventRecord:
        body = payload or {}
        row = EventRecord(
            kind=kind,
            event_id=f"{kind}-{next(_ids)}",
            occurred_at=at,
            received_at=at,
            payload=body,
            payload_sha256=hashlib.sha256(orjson.dumps(body)).hexdigest(),
            entities=entities or {},
        )
        self.session.add(row)
        self.session.flush()
        for entity_type, value in (entities or {}).items():
            self.session.add(
                EventEntity(event_pk=row.id, entity_type=entity_type, entity_value=value)
            )
        return row

    def case(
        self,
        opened: datetime,
        *,
        kind: str = "order",
        resolved: datetime | None = None,
        label: str | None = None,
    ) -> CaseRecord:
        event = self.event(kind, opened)
        verdict = VerdictRecord(
            event_pk=event.id,
            decision="review",
            score=60,
            signals=[],
            shadow_signals=[],
            rule_packs=[],
            model_versions=[],
            latency_ms=1.0,
            actor="test",
            created_at=opened,
        )
        self.session.add(verdict)
        self.session.flush()
        row = CaseRecord(
            event_pk=event.id,
            verdict_pk=verdict.id,
            kind=kind,
            decision="review",
            status="resolved" if resolved else "open",
            opened_at=opened,
            resolved_at=resolved,
            resolved_by="analyst" if resolved else None,
            label=label,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def measure(
        self, collector: str, window_days: int = 30, now: datetime = NOW, **params: Any
    ) -> Measurement:
        self.session.flush()
        ctx = Context(self.session, self.runtime.settings, now, timedelta(days=window_days))
        return measure(collector, params, ctx)


@pytest.fixture
def store(runtime: Runtime) -> Iterator[Store]:
    load_collectors()
    with unit_of_work(runtime.sessions) as session:
        yield Store(session, runtime)
