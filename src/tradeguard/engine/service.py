"""Ingestion as a use case: one event, one unit of work, safe under concurrent duplicates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tradeguard.db.session import unit_of_work
from tradeguard.engine import history
from tradeguard.engine.events import parse_event
from tradeguard.engine.screening import CounterBackend, replay, screen
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

    Two workers may race on the same new id: the loser's insert fails on the unique key,
    its transaction (SQL counters included) rolls back, and it answers from the winner's row.
    """
    event = parse_event(kind, raw, from_strings=from_strings)
    try:
        with unit_of_work(factory) as session:
            return screen(session, event=event, counters=counters(session), actor=actor)
    except IntegrityError:
        with unit_of_work(factory) as session:
            stored_sha = history.stored_sha(session, event.kind, event.id)
            if stored_sha is None:
                raise
            return replay(session, event, stored_sha)
