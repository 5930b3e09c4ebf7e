"""Order model use cases: labels from outcomes and cases, training, evaluation.

Labels arrive late: a chargeback comes weeks after the order. An order counts as legitimate
only once it is older than ``label_delay_days`` with no fraud outcome; younger orders with no
outcome are left out of training rather than taught as legitimate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeguard.db.base import utcnow
from tradeguard.domains.payments.features import ORDER_FEATURES
from tradeguard.domains.payments.kinds import is_fraud_outcome
from tradeguard.domains.payments.schemas import OrderOutcomePayload
from tradeguard.domains.payments.training import fit
from tradeguard.engine import cases, models
from tradeguard.engine.events import Event, parse_event
from tradeguard.engine.ml import quality, threshold_for_fpr, threshold_for_rate
from tradeguard.engine.replay import replay
from tradeguard.engine.tables import EventRecord, ModelRecord
from tradeguard.engine.verdicts import Thresholds
from tradeguard.errors import Invalid

MODEL_NAME = "order-fraud"
HISTORY = timedelta(days=90)  # the longest feature window: history the first order needs
DEFAULT_LABEL_DELAY_DAYS = 60


@dataclass(frozen=True, slots=True)
class LabelledSet:
    order_ids: list[str]
    times: list[datetime]
    rows: np.ndarray[Any, np.dtype[np.float64]]
    labels: np.ndarray[Any, np.dtype[np.int_]]


def stored_events(session: Session, *, since: datetime, until: datetime) -> Iterator[Event]:
    """Orders and outcomes in ``[since, until)``, oldest first, parsed as when they arrived."""
    query = (
        select(EventRecord)
        .where(
            EventRecord.kind.in_(("order", "order_outcome")),
            EventRecord.occurred_at >= since,
            EventRecord.occurred_at < until,
        )
        .order_by(EventRecord.occurred_at, EventRecord.id)
        .execution_options(yield_per=2000)
    )
    for record in session.scalars(query):
        raw = {"id": record.event_id, "occurred_at": record.occurred_at, **record.payload}
        yield parse_event(record.kind, raw, now=record.occurred_at)


def order_labels(
    session: Session, *, since: datetime, until: datetime, label_delay_days: int, now: datetime
) -> dict[str, int]:
    """1 fraud / 0 legitimate per order id; an analyst's case label beats a processor's outcome."""
    labels: dict[str, int] = {}
    for event in stored_events(session, since=since, until=now + timedelta(seconds=1)):
        if event.kind != "order_outcome":
            continue
        outcome = event.payload
        assert isinstance(outcome, OrderOutcomePayload)
        if is_fraud_outcome(outcome):
            labels[outcome.order_id] = 1
        elif outcome.outcome == "confirmed_legitimate":
            labels.setdefault(outcome.order_id, 0)
    for case in cases.labels(session, kind="order", since=since, until=until, limit=10**9):
        if case.label in ("fraud", "legitimate"):
            labels[case.event_id] = int(case.label == "fraud")
    matured = now - timedelta(days=label_delay_days)
    for order_id in session.scalars(
        select(EventRecord.event_id).where(
            EventRecord.kind == "order",
            EventRecord.occurred_at >= since,
            EventRecord.occurred_at < min(until, matured),
        )
    ):
        labels.setdefault(order_id, 0)
    return labels


def labelled_set(
    session: Session, *, since: datetime, until: datetime, label_delay_days: int, now: datetime
) -> LabelledSet:
    """Features replayed from stored history (the serving code), joined to mature labels.

    Only orders older than the label delay take part, frauds included: in the newest days the
    frauds already charged back are labelled but the legitimate orders are not yet, and
    keeping those frauds would make the newest part (which calibrates the model) look
    several times more fraudulent than the store is.
    """
    mature = min(until, now - timedelta(days=label_delay_days))
    if mature <= since:
        raise Invalid(
            f"no order of the window is {label_delay_days} days old yet, so none has its final "
            "label: end the window earlier or lower the label delay"
        )
    labels = order_labels(
        session, since=since, until=mature, label_delay_days=label_delay_days, now=now
    )
    ids, times, rows, ys = [], [], [], []
    history = stored_events(session, since=since - HISTORY, until=mature)
    wanted = _orders_between(since, mature, labels)
    for found in replay(history, wanted=wanted):
        ids.append(found.event.id)
        times.append(found.event.occurred_at)
        rows.append(found.features)
        ys.append(labels[found.event.id])
    matrix = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(ORDER_FEATURES.names))
    return LabelledSet(ids, times, matrix, np.asarray(ys, dtype=np.int_))


def _orders_between(
    since: datetime, until: datetime, labels: dict[str, int]
) -> Callable[[Event], bool]:
    def wanted(event: Event) -> bool:
        return event.kind == "order" and since <= event.occurred_at < until and event.id in labels

    return wanted


def train_model(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    actor: str,
    review_rate: float | None = 0.02,
    fpr: float | None = None,
    label_delay_days: int = DEFAULT_LABEL_DELAY_DAYS,
    now: datetime | None = None,
    name: str = MODEL_NAME,
) -> ModelRecord:
    """Fit a new version on labelled orders of ``[since, until)``; it is stored inactive."""
    if since >= until:
        raise Invalid("the training window must end after it starts")
    target_rate(review_rate=review_rate, fpr=fpr)  # refuse a bad target before the work
    now = now or utcnow()
    data = labelled_set(
        session, since=since, until=until, label_delay_days=label_delay_days, now=now
    )
    fitted = fit(data.rows, data.labels, features=ORDER_FEATURES.names)
    assert fitted.holdout is not None
    scores, holdout_labels = fitted.holdout
    thresholds = choose_thresholds(scores, holdout_labels, review_rate=review_rate, fpr=fpr)
    training = {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "labels_as_of": now.isoformat(),
        "mature_until": min(until, now - timedelta(days=label_delay_days)).isoformat(),
        "label_delay_days": label_delay_days,
        "orders": len(data.labels),
        "fraud": int(data.labels.sum()),
        "target": {"review_rate": review_rate} if fpr is None else {"fpr": fpr},
    }
    metrics = {f"validation_{k}": v for k, v in fitted.validation.items()}
    metrics.update(decision_rates(scores, holdout_labels, thresholds))
    return models.register(
        session,
        name=name,
        kind="order",
        fitted=fitted,
        metrics=metrics,
        training=training,
        thresholds=thresholds,
        actor=actor,
    )


def choose_thresholds(
    scores: np.ndarray[Any, Any],
    labels: np.ndarray[Any, Any],
    *,
    review_rate: float | None,
    fpr: float | None,
) -> Thresholds:
    """Review at the target rate (or false-positive rate); challenge at twice it, block at 1/4."""
    target = target_rate(review_rate=review_rate, fpr=fpr)

    def at(rate: float) -> int:
        if fpr is None:
            return threshold_for_rate(scores, rate)
        return threshold_for_fpr(scores, labels, rate)

    review = at(target)
    challenge = min(at(min(0.99, target * 2)), review)
    block = max(at(target / 4), review)
    return Thresholds(challenge=max(1, challenge), review=max(1, review), block=max(1, block))


def target_rate(*, review_rate: float | None, fpr: float | None) -> float:
    if (review_rate is None) == (fpr is None):
        raise Invalid("give exactly one of a target review rate or a target false-positive rate")
    target = review_rate if review_rate is not None else fpr
    assert target is not None
    if not 0 < target < 1:
        raise Invalid("the target rate must be between 0 and 1, e.g. 0.02 for 2 %")
    return target


def decision_rates(
    scores: np.ndarray[Any, Any], labels: np.ndarray[Any, Any], thresholds: Thresholds
) -> dict[str, float]:
    """What the thresholds do on labelled orders: how many are held, how much fraud is caught."""
    held = scores >= thresholds.review
    fraud, legit = labels == 1, labels == 0
    return {
        "review_rate": float(held.mean()) if held.size else math.nan,
        "fraud_caught": float(held[fraud].mean()) if fraud.any() else math.nan,
        "false_positive_rate": float(held[legit].mean()) if legit.any() else math.nan,
        "precision_at_review": float(labels[held].mean()) if held.any() else math.nan,
    }


def evaluate_model(
    session: Session,
    *,
    name: str,
    version: int,
    since: datetime,
    until: datetime,
    label_delay_days: int = DEFAULT_LABEL_DELAY_DAYS,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A stored version on labelled orders of another window; nothing is written."""
    record = models.get_record(session, name, version)
    running = models.running_model(record)
    data = labelled_set(
        session, since=since, until=until, label_delay_days=label_delay_days, now=now or utcnow()
    )
    if not len(data.labels):
        raise Invalid("no labelled orders in that window")
    probability = running.fitted.probability(data.rows)
    scores = np.rint(probability * 100).astype(np.int_)
    return {
        "model": running.label,
        "orders": len(data.labels),
        "fraud": int(data.labels.sum()),
        **quality(data.labels, probability),
        **decision_rates(scores, data.labels, running.thresholds),
    }
