"""Merchant use cases for the CLI and the API: screen an application, re-screen, look one up.

Applications go through the engine like every event (``POST /v1/events/merchant`` and
``tradeguard events ingest --kind merchant`` take the same path): the ``merchant`` kind's
``enrich`` hook computes the checks inside ``screen()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from tradeguard.db.session import unit_of_work
from tradeguard.domains.merchants.monitoring import RescreenReport, rescreen
from tradeguard.engine import history
from tradeguard.engine.history import EventRead
from tradeguard.engine.screening import CounterBackend
from tradeguard.engine.service import ingest
from tradeguard.engine.verdicts import Verdict
from tradeguard.errors import NotFound

RECENT_RESCREENS = 5


def screen_application(
    factory: sessionmaker[Session],
    *,
    raw: Mapping[str, Any],
    actor: str,
    counters: CounterBackend,
) -> Verdict:
    """Check, screen and store one application or update; the same one again replays."""
    return ingest(factory, kind="merchant", raw=raw, actor=actor, counters=counters)


def rescreen_merchants(
    factory: sessionmaker[Session],
    counters: CounterBackend,
    *,
    actor: str,
    full: bool,
    workers: int = 1,
) -> RescreenReport:
    """Every merchant against every current list (``full``), or against what the current
    version of each list added or changed (what a missed re-screen after a load would have seen).
    """
    from tradeguard.domains.merchants.sanctions import store

    with unit_of_work(factory) as session:
        lists = store.require_lists(session)
        changed = None if full else store.changed_entries(session, [v.id for v in lists])
    labels = ", ".join(v.label for v in lists)
    if full:
        reason = f"full re-screen against {labels}"
    else:
        reason = f"re-screen against what {labels} added or changed"
    if changed is not None and not changed:
        return RescreenReport(0, 0, 0.0, 0, 0, 0)
    return rescreen(
        factory, counters, actor=actor, changed=changed, reason=reason[:300], workers=workers
    )


class MerchantRecord(BaseModel):
    """A merchant as it stands: its latest application or update, and its latest re-screens."""

    merchant_id: str
    latest: EventRead
    rescreens: list[EventRead]  # newest first


def merchant_record(session: Session, merchant_id: str) -> MerchantRecord:
    found = history.search(
        session, kind="merchant", entity_type="merchant", entity_value=merchant_id, limit=1
    )
    if not found:
        raise NotFound(f"no merchant {merchant_id!r}")
    rescreens = history.search(
        session,
        kind="merchant_rescreen",
        entity_type="merchant",
        entity_value=merchant_id,
        limit=RECENT_RESCREENS,
    )
    return MerchantRecord(merchant_id=merchant_id, latest=found[0], rescreens=rescreens)
