"""The handbook protocol: known cards leave the test, CP@100 as the handbook counts it, one
JSON line to finish, and one readable line for every bad input."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from tradeguard.domains.payments import handbook
from tradeguard.domains.payments.handbook import (
    DAY_US,
    Transactions,
    Window,
    card_precision_top_k,
    evaluate,
    evaluated_rows,
    read_transactions,
)
from tradeguard.domains.payments.handbook_cli import evaluate_handbook_command
from tradeguard.errors import Invalid

START = datetime(2018, 4, 1)


def _synthetic(path: Path, *, days: int = 24, seed: int = 3) -> Path:
    """Small handbook-like data: frauds are big amounts on a few cards, so a model can learn."""
    rng = np.random.default_rng(seed)
    per_day = 60
    n = days * per_day
    seconds = np.sort(rng.integers(0, days * 86_400, n))
    cards = rng.integers(0, 80, n)
    amounts = np.round(rng.uniform(5, 100, n), 2)
    fraud = (rng.random(n) < 0.1).astype(np.int64)
    amounts[fraud == 1] = np.round(rng.uniform(230, 600, int(fraud.sum())), 2)
    table = pa.table(
        {
            "TRANSACTION_ID": np.arange(n, dtype=np.int64),
            "TX_DATETIME": pa.array(
                [START + timedelta(seconds=int(s)) for s in seconds], pa.timestamp("ns")
            ),
            "CUSTOMER_ID": cards.astype(np.int64),
            "TERMINAL_ID": rng.integers(0, 20, n).astype(np.int64),
            "TX_AMOUNT": amounts,
            "TX_FRAUD": fraud,
        }
    )
    pq.write_table(table, path)
    return path


def _tx(rows: list[tuple[int, int, int]]) -> Transactions:
    """Transactions from (day, card, fraud); one per row, at noon, days from 2018-04-01."""
    base = int((START - datetime(1970, 1, 1)).total_seconds()) * 1_000_000
    day, card, fraud = (np.asarray(c, dtype=np.int64) for c in zip(*rows, strict=True))
    return Transactions(
        ids=np.arange(len(rows), dtype=np.int64),
        times=base + day * DAY_US + DAY_US // 2,
        cards=card,
        terminals=np.zeros(len(rows), dtype=np.int64),
        amounts=np.full(len(rows), 10.0),
        fraud=fraud,
    )


def test_known_compromised_cards_leave_the_test_days() -> None:
    # train days 0-1, delay day 2, test days 3-4
    tx = _tx(
        [
            (0, 1, 1),  # card 1 known from the training window
            (1, 2, 0),
            (2, 3, 1),  # card 3: fraud in the delay, known from the second test day on
            (3, 1, 0),  # removed (card 1)
            (3, 3, 0),  # kept: day 2's frauds are not known on the first test day
            (3, 4, 1),
            (4, 3, 1),  # removed (card 3 now known)
            (4, 4, 0),  # kept: day 3 is a test day, its frauds are never added
            (4, 5, 0),
        ]
    )
    window = Window(date(2018, 4, 1), train_days=2, delay_days=1, test_days=2)
    kept, removed = evaluated_rows(tx, window, np.arange(len(tx), dtype=np.int64))
    assert kept.tolist() == [4, 5, 7, 8]
    assert removed == 2


def test_card_precision_counts_each_card_once_and_drops_detected_cards() -> None:
    days = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1], dtype=np.int64)
    cards = np.array([1, 1, 2, 3, 4, 1, 2, 3, 5], dtype=np.int64)
    labels = np.array([0, 1, 0, 1, 0, 1, 1, 0, 0], dtype=np.int64)
    scores = np.array([0.9, 0.1, 0.8, 0.7, 0.1, 0.99, 0.5, 0.6, 0.4])
    mean, per_day = card_precision_top_k(days, cards, labels, scores, k=2)
    # day 0: card 1 (max 0.9, label 1) and card 2 (0.8, 0) -> 1/2; card 1 is now detected.
    # day 1: card 1 is gone; top 2 are card 3 (0.6, 0) and card 2 (0.5, 1) -> 1/2.
    assert per_day == [0.5, 0.5]
    assert mean == pytest.approx(0.5)


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(evaluate_handbook_command)
    return app


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


def test_command_ends_with_one_json_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Fewer trees on one thread: the protocol is under test here, not the model's settings.
    quick = functools.partial(handbook.fit, params={"n_estimators": 60, "n_jobs": 1})
    monkeypatch.setattr(handbook, "fit", quick)
    data = _synthetic(tmp_path / "tx.parquet")
    code, stdout, stderr = _run(
        "--data", str(data), "--train-start", "2018-04-08", "--train-days", "5",
        "--delay-days", "2", "--test-days", "5",
    )  # fmt: skip
    assert code == 0, stderr
    last = orjson.loads(stdout.strip().splitlines()[-1])
    for metric in ("auc_roc", "average_precision", "card_precision_at_100"):
        assert 0.0 <= last[metric] <= 1.0
    assert last["auc_roc"] > 0.9  # big amounts are fraud here: easy to learn
    assert last["test_transactions"] > 0
    assert last["train_frauds"] > 0
    assert "card precision@100" in stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--train-start": "2018-03-20"}, "outside the data"),
        ({"--train-start": "2018-04-20"}, "outside the data"),
        ({"--train-start": "25/07/2018"}, "not a date"),
        ({"--test-days": "0"}, "at least 1"),
    ],
)
def test_bad_windows_are_one_readable_line(
    tmp_path: Path, change: dict[str, str], message: str
) -> None:
    data = _synthetic(tmp_path / "tx.parquet")
    options = {"--data": str(data), "--train-start": "2018-04-08", **change}
    code, _, stderr = _run(*[part for pair in options.items() for part in pair])
    assert code == 1
    assert message in stderr
    assert "Traceback" not in stderr


def test_missing_file_and_wrong_columns_are_refused(tmp_path: Path) -> None:
    code, _, stderr = _run("--data", str(tmp_path / "nope.parquet"), "--train-start", "2018-04-08")
    assert code == 1
    assert "is not a file" in stderr
    wrong = tmp_path / "wrong.parquet"
    pq.write_table(pa.table({"TRANSACTION_ID": [1], "TX_AMOUNT": [2.0]}), wrong)
    code, _, stderr = _run("--data", str(wrong), "--train-start", "2018-04-08")
    assert code == 1
    assert "lacks the column(s) TX_DATETIME" in stderr
    text = tmp_path / "text.parquet"
    text.write_text("not parquet")
    with pytest.raises(Invalid, match="not a readable parquet"):
        read_transactions(text)


def test_an_empty_training_window_is_refused(tmp_path: Path) -> None:
    data = _synthetic(tmp_path / "tx.parquet")
    table = pq.read_table(data)
    stamps = table.column("TX_DATETIME").cast(pa.int64()).to_numpy()
    gap_start = int((datetime(2018, 4, 8) - datetime(1970, 1, 1)).total_seconds()) * 10**9
    keep = (stamps < gap_start) | (stamps >= gap_start + 3 * 86_400 * 10**9)
    pq.write_table(table.filter(pa.array(keep)), data)
    with pytest.raises(Invalid, match="training window holds no transactions"):
        evaluate(data, Window(date(2018, 4, 8), train_days=3, delay_days=1, test_days=3))
