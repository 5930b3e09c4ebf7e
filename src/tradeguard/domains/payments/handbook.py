"""The Fraud Detection Handbook's evaluation, run through TradeGuard's own serving code.

The handbook (Le Borgne et al., 2022) publishes a simulated card data set and a protocol:
train on a window, wait a delay while labels arrive, test on the following days, with cards
already known to be compromised removed from the test. Reproducing it with TradeGuard's
feature pipeline is how we show that the order model, trained from raw transactions, is
at least as good as the handbook's best published models.

Each transaction becomes an ``order`` event and each fraud an ``order_outcome`` chargeback
that arrives ``delay`` days later. Both go through ``parse_event`` and ``replay``, the code
live screening runs, so the counters only ever see chargebacks whose time has come: the
features cannot peek at labels that would not yet be known.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray
from sklearn.metrics import average_precision_score, roc_auc_score

from tradeguard.domains.payments.features import ORDER_FEATURES
from tradeguard.domains.payments.training import fit
from tradeguard.engine.events import Event, parse_event
from tradeguard.engine.replay import replay
from tradeguard.errors import Invalid

COLUMNS = ("TRANSACTION_ID", "TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT", "TX_FRAUD")
# The longest counter window the order features read: older history cannot change them.
HISTORY = timedelta(days=90)
DAY_US = 86_400_000_000
TOP_K = 100
FRAUD_REASON = "10.4"  # Visa "other fraud, card-absent environment"
# An order must carry a positive amount; the handbook has a few 0.00 transactions.
SMALLEST_AMOUNT = 0.01
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Transactions:
    """The handbook's raw columns as arrays, sorted by time; times in UTC microseconds."""

    ids: Ints
    times: Ints
    cards: Ints
    terminals: Ints
    amounts: Floats
    fraud: Ints

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def take(self, index: Ints) -> Transactions:
        return Transactions(
            self.ids[index],
            self.times[index],
            self.cards[index],
            self.terminals[index],
            self.amounts[index],
            self.fraud[index],
        )


@dataclass(frozen=True, slots=True)
class Window:
    """Training window, delay (labels still unknown) and test days, whole days from midnight."""

    train_start: date
    train_days: int = 7
    delay_days: int = 7
    test_days: int = 7

    def __post_init__(self) -> None:
        if self.train_days < 1 or self.test_days < 1 or self.delay_days < 0:
            raise Invalid("train and test days must be at least 1, delay days at least 0")

    @property
    def start_us(self) -> int:
        moment = datetime(*self.train_start.timetuple()[:3], tzinfo=UTC)
        return (moment - _EPOCH) // timedelta(microseconds=1)

    def day_us(self, day: int) -> int:
        """Midnight that starts day ``day`` counted from the training start."""
        return self.start_us + day * DAY_US

    @property
    def test_first_day(self) -> int:
        return self.train_days + self.delay_days

    @property
    def end_day(self) -> int:
        return self.test_first_day + self.test_days


@dataclass(frozen=True, slots=True)
class HandbookResult:
    """Test-window figures, with the sizes that say how much they can be trusted."""

    auc_roc: float
    average_precision: float
    card_precision_at_100: float
    train_transactions: int
    train_frauds: int
    test_transactions: int
    test_frauds: int
    known_cards_removed: int
    card_precision_per_day: tuple[float, ...]
    seconds: float

    def summary(self) -> dict[str, Any]:
        return {
            "auc_roc": round(self.auc_roc, 4),
            "average_precision": round(self.average_precision, 4),
            "card_precision_at_100": round(self.card_precision_at_100, 4),
            "train_transactions": self.train_transactions,
            "train_frauds": self.train_frauds,
            "test_transactions": self.test_transactions,
            "test_frauds": self.test_frauds,
            "known_cards_removed": self.known_cards_removed,
            "seconds": round(self.seconds, 1),
        }


def read_transactions(path: Path) -> Transactions:
    """Read and check the file once, so a wrong file fails with one line, not a traceback."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise Invalid(f"{path} is not a readable parquet file ({exc})") from None
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        raise Invalid(f"{path} lacks the column(s) {', '.join(missing)}; it needs {COLUMNS}")
    if table.num_rows == 0:
        raise Invalid(f"{path} holds no transactions")
    if table.column("TX_DATETIME").null_count or not pa.types.is_timestamp(
        table.schema.field("TX_DATETIME").type
    ):
        raise Invalid("TX_DATETIME must be a timestamp column without empty values")
    columns = {name: _column(table, name) for name in COLUMNS}
    tx = Transactions(
        ids=columns["TRANSACTION_ID"].astype(np.int64),
        times=columns["TX_DATETIME"],
        cards=columns["CUSTOMER_ID"].astype(np.int64),
        terminals=columns["TERMINAL_ID"].astype(np.int64),
        amounts=columns["TX_AMOUNT"].astype(np.float64),
        fraud=columns["TX_FRAUD"].astype(np.int64),
    )
    return tx.take(np.argsort(tx.times, kind="stable").astype(np.int64))


def _column(table: pa.Table, name: str) -> NDArray[Any]:
    column = table.column(name)
    if name == "TX_DATETIME":
        column = column.cast(pa.timestamp("us")).cast(pa.int64())
    if column.null_count:
        raise Invalid(f"column {name} has {column.null_count} empty values")
    try:
        return np.asarray(column.to_numpy(), dtype=np.float64 if name == "TX_AMOUNT" else np.int64)
    except (ValueError, TypeError, pa.ArrowException):
        raise Invalid(f"column {name} is not numeric") from None


def check_window(tx: Transactions, window: Window) -> None:
    """The window must lie inside the data: a test on days with no data would measure nothing."""
    first, last = _as_date(int(tx.times[0])), _as_date(int(tx.times[-1]))
    test_last = window.train_start + timedelta(days=window.end_day - 1)
    if window.train_start < first or test_last > last:
        raise Invalid(
            f"the window {window.train_start}..{test_last} is outside the data, "
            f"which covers {first}..{last}"
        )


def _as_date(micros: int) -> date:
    return (_EPOCH + timedelta(microseconds=micros)).date()


def _at(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def order_event(tx: Transactions, i: int) -> Event:
    """One transaction as the order a checkout would send: card, terminal, amount in EUR."""
    amount = max(float(tx.amounts[i]), SMALLEST_AMOUNT)
    return parse_event(
        "order",
        {
            "id": str(tx.ids[i]),
            "occurred_at": _at(int(tx.times[i])),
            "amount": f"{amount:.2f}",
            "currency": "EUR",
            "payment": {"card_fingerprint": str(tx.cards[i])},
            "merchant_id": str(tx.terminals[i]),
        },
    )


def chargeback_event(tx: Transactions, i: int, delay: timedelta) -> Event:
    """A fraud learnt ``delay`` after the order, as the processor's chargeback notice."""
    return parse_event(
        "order_outcome",
        {
            "id": f"cb-{tx.ids[i]}",
            "occurred_at": _at(int(tx.times[i])) + delay,
            "order_id": str(tx.ids[i]),
            "outcome": "chargeback",
            "reason_code": FRAUD_REASON,
        },
    )


def events(tx: Transactions, window: Window) -> Iterator[Event]:
    """Orders from the features' history up to test end, and their chargebacks once due.

    Oldest first; at the same instant an order comes before a chargeback, so a chargeback
    always finds its order to inherit the card and merchant from.
    """
    # The history a 90-day chargeback count needs reaches one delay further back.
    start = window.start_us - (HISTORY // timedelta(microseconds=1)) - window.delay_days * DAY_US
    end = window.day_us(window.end_day)
    delay = timedelta(days=window.delay_days)
    delay_us = window.delay_days * DAY_US
    orders = np.flatnonzero((tx.times >= start) & (tx.times < end))
    frauds = orders[(tx.fraud[orders] == 1) & (tx.times[orders] + delay_us < end)]
    times = np.concatenate([tx.times[orders], tx.times[frauds] + delay_us])
    kinds = np.concatenate([np.zeros(orders.size, np.int64), np.ones(frauds.size, np.int64)])
    rows = np.concatenate([orders, frauds])
    for j in np.lexsort((kinds, times)):
        i = int(rows[j])
        yield order_event(tx, i) if kinds[j] == 0 else chargeback_event(tx, i, delay)


def feature_rows(tx: Transactions, window: Window) -> tuple[Ints, NDArray[np.float64]]:
    """Indices of the training and test transactions and their feature vectors, in time order."""
    train_end, test_start = window.day_us(window.train_days), window.day_us(window.test_first_day)
    start, end = _at(window.start_us), _at(window.day_us(window.end_day))
    gap = (_at(train_end), _at(test_start))

    def wanted(event: Event) -> bool:
        at = event.occurred_at
        return event.kind == "order" and start <= at < end and not gap[0] <= at < gap[1]

    position = {str(tx.ids[i]): i for i in _rows_in(tx, window)}
    index, vectors = [], []
    for replayed in replay(events(tx, window), wanted=wanted):
        index.append(position[replayed.event.id])
        vectors.append(replayed.features)
    return np.asarray(index, dtype=np.int64), np.asarray(vectors, dtype=np.float64)


def _rows_in(tx: Transactions, window: Window) -> Ints:
    train = (tx.times >= window.start_us) & (tx.times < window.day_us(window.train_days))
    test = (tx.times >= window.day_us(window.test_first_day)) & (
        tx.times < window.day_us(window.end_day)
    )
    return np.flatnonzero(train | test).astype(np.int64)


def day_of(tx: Transactions, window: Window, index: Ints) -> Ints:
    """Whole days since the training start (the handbook's ``TX_TIME_DAYS``, shifted)."""
    return (tx.times[index] - window.start_us) // DAY_US


def evaluated_rows(tx: Transactions, window: Window, index: Ints) -> tuple[Ints, int]:
    """The test transactions among ``index``, known-compromised cards removed, as the handbook.

    A card is known once it has a fraud in the training window, or, for test day ``d``, on
    any day from the training end up to day ``train_end + d - 1``: the handbook assumes
    those frauds were reported by then (its ``get_train_test_set``).
    """
    days = day_of(tx, window, index)
    all_days = day_of(tx, window, np.arange(len(tx), dtype=np.int64))
    fraud_days = all_days[tx.fraud == 1]
    fraud_cards = tx.cards[tx.fraud == 1]
    kept: list[Ints] = []
    removed = 0
    for d in range(window.test_days):
        known = fraud_cards[(fraud_days >= 0) & (fraud_days < window.train_days + d)]
        today = index[days == window.test_first_day + d]
        drop = np.isin(tx.cards[today], known)
        removed += int(drop.sum())
        kept.append(today[~drop])
    return np.concatenate(kept) if kept else np.zeros(0, np.int64), removed


def card_precision_top_k(
    days: Ints, cards: Ints, labels: Ints, scores: Floats, k: int = TOP_K
) -> tuple[float, list[float]]:
    """The handbook's card precision@k: what share of the k riskiest cards each day are frauds.

    Per day, each card counts once with its highest score and its worst label; cards already
    detected on an earlier day are left out (an investigator would have blocked them), and
    the daily precisions are averaged. Ties in score are broken by card id, for repeatable runs.
    """
    detected: set[int] = set()
    per_day: list[float] = []
    for day in np.unique(days):
        mask = (days == day) & ~np.isin(cards, list(detected))
        top = _top_cards(cards[mask], labels[mask], scores[mask], k)
        frauds = [card for card, label in top if label == 1]
        per_day.append(len(frauds) / k)
        detected.update(frauds)
    return (float(np.mean(per_day)) if per_day else float("nan")), per_day


def _top_cards(cards: Ints, labels: Ints, scores: Floats, k: int) -> list[tuple[int, int]]:
    best: dict[int, tuple[float, int]] = {}
    for card, label, score in zip(cards.tolist(), labels.tolist(), scores.tolist(), strict=True):
        seen = best.get(card)
        best[card] = (score, label) if seen is None else (max(seen[0], score), max(seen[1], label))
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
    return [(card, label) for card, (_, label) in ranked[:k]]


def evaluate(path: Path, window: Window, params: dict[str, Any] | None = None) -> HandbookResult:
    """Train from scratch on the window's training days, score its test days, measure."""
    started = datetime.now(UTC)
    tx = read_transactions(path)
    check_window(tx, window)
    index, rows = feature_rows(tx, window)
    days = day_of(tx, window, index)
    in_train = days < window.train_days
    train_index = index[in_train]
    if train_index.size == 0:
        raise Invalid("the training window holds no transactions")
    model = fit(
        rows[in_train],
        tx.fraud[train_index],
        features=ORDER_FEATURES.names,
        params=params,
    )
    tested, removed = evaluated_rows(tx, window, index)
    if tested.size == 0:
        raise Invalid("the test window holds no transactions once known cards are removed")
    order = np.argsort(index, kind="stable")
    where = order[np.searchsorted(index[order], tested)]
    scores = model.probability(rows[where])
    return _result(tx, window, train_index, tested, scores, removed, started)


def _result(
    tx: Transactions,
    window: Window,
    train_index: Ints,
    tested: Ints,
    scores: Floats,
    removed: int,
    started: datetime,
) -> HandbookResult:
    labels = tx.fraud[tested]
    if len(set(labels.tolist())) < 2:
        raise Invalid("the test window needs both fraud and legitimate transactions to measure")
    cp, per_day = card_precision_top_k(day_of(tx, window, tested), tx.cards[tested], labels, scores)
    return HandbookResult(
        auc_roc=float(roc_auc_score(labels, scores)),
        average_precision=float(average_precision_score(labels, scores)),
        card_precision_at_100=cp,
        train_transactions=int(train_index.size),
        train_frauds=int(tx.fraud[train_index].sum()),
        test_transactions=int(tested.size),
        test_frauds=int(labels.sum()),
        known_cards_removed=removed,
        card_precision_per_day=tuple(per_day),
        seconds=(datetime.now(UTC) - started).total_seconds(),
    )
