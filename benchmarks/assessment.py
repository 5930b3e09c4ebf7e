"""How long one assessment takes on a store with a month of traffic (every collector runs).

    .venv/bin/python benchmarks/assessment.py --orders 100000 --logins 300000 \
        --stores sqlite,postgres

Rows are written straight into the tables (the engine's screening speed is measured by
engine.py); what is timed is ``levels.service.assess``: every measurement the catalog names,
graded. The console's Levels page and each cell it opens run one assessment.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).parent))
from _common import store

from tradeguard.config import load_settings
from tradeguard.db.session import unit_of_work
from tradeguard.engine.tables import (
    CaseRecord,
    EventEntity,
    EventRecord,
    VerdictRecord,
)
from tradeguard.levels import service
from tradeguard.levels.evidence import Context, measure
from tradeguard.runtime import Runtime

NOW = datetime.now(UTC)
BATCH = 5000


def _event(kind: str, n: int, at: datetime, payload: dict[str, object]) -> dict[str, object]:
    body = json.dumps(payload, sort_keys=True)
    return {
        "kind": kind,
        "event_id": f"{kind}-{n}",
        "occurred_at": at,
        "received_at": at,
        "payload": payload,
        "payload_sha256": hashlib.sha256(body.encode()).hexdigest(),
        "entities": {},
    }


def _order(rng: random.Random, n: int) -> dict[str, object]:
    return {
        "amount": f"{rng.uniform(5, 400):.2f}",
        "currency": "EUR",
        "email": f"buyer{n}@example.com",
        "payment": {"type": "card", "card_bin": "411111", "card_fingerprint": f"card-{n % 9000}"},
        "shipping_address": {"line1": f"{n} Main Street", "postal_code": "10115", "country": "DE"},
        "items": [{"category": "apparel", "quantity": 1, "unit_price": "19.90"}],
    }


def fill(rt: Runtime, *, orders: int, logins: int, seed: int) -> None:
    """A month of orders, logins with accounts, outcomes and cases, written in batches."""
    rng = random.Random(seed)
    month = timedelta(days=30).total_seconds()

    def at() -> datetime:
        return NOW - timedelta(seconds=rng.uniform(0, month))

    with unit_of_work(rt.sessions) as session:
        conn = session.connection()
        for start in range(0, orders, BATCH):
            rows = [
                _event("order", n, at(), _order(rng, n))
                for n in range(start, min(orders, start + BATCH))
            ]
            conn.execute(insert(EventRecord), rows)
        outcomes = [
            _event(
                "order_outcome",
                n,
                at(),
                {"order_id": f"order-{n}", "outcome": "chargeback", "reason_code": "10.4"},
            )
            for n in range(orders // 200)
        ]
        conn.execute(insert(EventRecord), outcomes)
        for start in range(0, logins, BATCH):
            ids = range(start, min(logins, start + BATCH))
            rows = [_event("login", n, at(), {"success": rng.random() < 0.9}) for n in ids]
            conn.execute(insert(EventRecord), rows)
        login_pks = session.scalars(select(EventRecord.id).where(EventRecord.kind == "login")).all()
        for start in range(0, len(login_pks), BATCH):
            chunk = login_pks[start : start + BATCH]
            conn.execute(
                insert(EventEntity),
                [
                    {"event_pk": pk, "entity_type": "account", "entity_value": f"acct-{pk % 20000}"}
                    for pk in chunk
                ],
            )
        _cases(session, rng, count=orders // 50)


def _cases(session: object, rng: random.Random, *, count: int) -> None:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    picked = session.scalars(
        select(EventRecord.id).where(EventRecord.kind == "order").limit(count)
    ).all()
    conn = session.connection()
    empty: dict[str, object] = {"signals": [], "shadow_signals": [], "rule_packs": []}
    verdicts = [
        {"event_pk": pk, "decision": "review", "score": 60, "model_versions": [],
         "latency_ms": 1.0, "actor": "bench", "created_at": NOW, **empty}
        for pk in picked
    ]  # fmt: skip
    conn.execute(insert(VerdictRecord), verdicts)
    by_event = dict(session.execute(select(VerdictRecord.event_pk, VerdictRecord.id)).all())
    cases = []
    for pk in picked:
        opened = NOW - timedelta(hours=rng.uniform(1, 600))
        resolved = opened + timedelta(hours=rng.uniform(0.2, 30)) if rng.random() < 0.8 else None
        cases.append(
            {"event_pk": pk, "verdict_pk": by_event[pk], "kind": "order", "decision": "review",
             "status": "resolved" if resolved else "open", "opened_at": opened,
             "resolved_at": resolved, "label": "fraud" if resolved else None}
        )  # fmt: skip
    conn.execute(insert(CaseRecord), cases)


def time_assessments(rt: Runtime, repeats: int, markets: list[str]) -> list[float]:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        with unit_of_work(rt.sessions) as session:
            service.assess(session, settings=rt.settings, markets=markets)  # type: ignore[arg-type]
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def by_collector(rt: Runtime) -> list[tuple[float, str]]:
    """Each distinct measurement the catalog names, timed once: where an assessment goes."""
    catalog = service.catalog_for(rt.settings)
    timed: dict[str, float] = {}
    with unit_of_work(rt.sessions) as session:
        for control in catalog.controls:
            spec = control.evidence.measure
            label = f"{spec.collector} {spec.params or ''}".strip() if spec else ""
            if spec is None or label in timed:
                continue
            ctx = Context(session, rt.settings, NOW, timedelta(days=spec.window_days))
            started = time.perf_counter()
            measure(spec.collector, spec.params, ctx)
            timed[label] = (time.perf_counter() - started) * 1000
    return sorted(((ms, label) for label, ms in timed.items()), reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--logins", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--stores", default="sqlite")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"{args.orders:,} orders and {args.logins:,} logins over 30 days; {args.repeats} runs")
    print("| store | markets | p50 ms | max ms |")
    print("|---|---|---|---|")
    for kind in args.stores.split(","):
        with tempfile.TemporaryDirectory() as folder, store(kind) as url:
            rt = Runtime.start(
                load_settings(data_dir=Path(folder), database_url=url, counter_backend="sql")
            )
            try:
                fill(rt, orders=args.orders, logins=args.logins, seed=args.seed)
                for markets in ([], ["CN", "EU", "US"]):
                    timings = time_assessments(rt, args.repeats, markets)
                    label = ",".join(markets) or "base"
                    p50, worst = statistics.median(timings), max(timings)
                    print(f"| {kind} | {label} | {p50:.0f} | {worst:.0f} |")
                slowest = ", ".join(f"{name} {ms:.0f} ms" for ms, name in by_collector(rt)[:4])
                print(f"  {kind}, slowest measurements: {slowest}")
            finally:
                rt.close()


if __name__ == "__main__":
    main()
