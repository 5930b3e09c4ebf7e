"""A small order model trained on simulated orders, for tests that need a running model.

Fitting once per session keeps tests fast; each test registers the same fitted model in its
own store. Labels are the simulator's truth, so the helper needs no chargebacks to arrive.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

import numpy as np
import pytest

from tradeguard.db.session import unit_of_work
from tradeguard.domains.payments.features import ORDER_FEATURES
from tradeguard.domains.payments.simulate import OrderSimulator, SimulatedOrder
from tradeguard.domains.payments.training import FittedModel, fit
from tradeguard.engine import models
from tradeguard.engine.events import parse_event
from tradeguard.engine.replay import replay
from tradeguard.engine.verdicts import Thresholds
from tradeguard.runtime import Runtime

START = datetime(2026, 3, 1, tzinfo=UTC)
LATER = datetime(2027, 1, 1, tzinfo=UTC)  # parse chargebacks weeks after their orders
# Small and quick: shallow trees that still see a few dozen frauds.
QUICK = {"n_estimators": 60, "min_child_samples": 5, "learning_rate": 0.1}


def small_shop(seed: int = 5) -> list[SimulatedOrder]:
    """A few hundred orders with more fraud than a real shop, spread over the whole month."""
    sim = OrderSimulator(seed=seed, customers=250, days=30, start=START)
    sim.normal()
    sim.card_testing(1)
    sim.stolen_cards(20)
    sim.triangulation(1)
    sim.takeover(10)
    return sorted(
        sim.items,
        key=lambda s: (datetime.fromisoformat(s.event["occurred_at"]), s.kind, s.event["id"]),
    )


@cache
def fitted_order_model(seed: int = 5) -> FittedModel:
    """Features replayed through the serving code, labelled by the simulator's truth."""
    shop = small_shop(seed)
    truth = {s.event["id"]: s.truth != "normal" for s in shop if s.kind == "order"}
    events = (parse_event(s.kind, s.event, now=LATER) for s in shop)
    found = list(replay(events, wanted=lambda e: e.kind == "order"))
    rows = np.asarray([f.features for f in found], dtype=np.float64)
    labels = np.asarray([truth[f.event.id] for f in found], dtype=np.int_)
    return fit(rows, labels, features=ORDER_FEATURES.names, params=QUICK)


def register_order_model(
    runtime: Runtime, *, status: models.Status = "live", name: str = "order-fraud"
) -> models.ModelRead:
    """Store the small model in ``runtime``'s registry with the given status."""
    fitted = fitted_order_model()
    with unit_of_work(runtime.sessions) as session:
        record = models.register(
            session,
            name=name,
            kind="order",
            fitted=fitted,
            metrics={f"validation_{k}": v for k, v in fitted.validation.items()},
            training={"source": "tests: simulated orders, labelled by their truth"},
            thresholds=Thresholds(),
            actor="test",
        )
        models.set_status(
            session, name=record.name, version=record.version, status=status, actor="test"
        )
        return models.ModelRead.model_validate(record)


@pytest.fixture
def live_order_model(runtime: Runtime) -> models.ModelRead:
    return register_order_model(runtime)
