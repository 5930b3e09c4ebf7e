"""Ingestion as a use case: one event, one unit of work."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tradeguard.db.session import unit_of_work
from tradeguard.engine.events import parse_event
from tradeguard.engine.screening import CounterBackend, screen
from tradeguard.engine.verdicts import Verdict


def ingest(
    factory: sessionmaker[Session],
    *,
    kind: str,
    raw: Mapping[str, Any],
    actor: str,
    counters: CounterBackend,
    from_strings: bool = False,
) -> Verdict:
    """Validate, screen and store one event; a duplicate gets the stored verdict back.

    Racing duplicates are settled inside ``screen`` by the event insert's ON CONFLICT clause,
    so nothing here needs to retry.
    """
    event = parse_event(kind, raw, from_strings=from_strings)
    with unit_of_work(factory) as session:
        return screen(session, event=event, counters=counters(session), actor=actor)
