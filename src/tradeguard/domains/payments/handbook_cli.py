"""``tradeguard model evaluate-handbook``: the handbook's protocol on any window of its data.

The figures go to stderr as a small table for people, and the last stdout line is one JSON
object, so scripts and the documentation's tables can be produced from the same command.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.table import Table

from tradeguard.cli_support import cli_errors, err
from tradeguard.domains.payments.handbook import HandbookResult, Window, evaluate
from tradeguard.errors import Invalid


@cli_errors
def evaluate_handbook_command(
    data: Annotated[Path, typer.Option(help="parquet file with the handbook's raw columns")],
    train_start: Annotated[str, typer.Option(help="first training day, YYYY-MM-DD")],
    train_days: Annotated[int, typer.Option(help="days of training data")] = 7,
    delay_days: Annotated[int, typer.Option(help="days before a fraud is reported")] = 7,
    test_days: Annotated[int, typer.Option(help="days tested after the delay")] = 7,
) -> None:
    """Train from scratch on the window and print AUC ROC, average precision and CP@100."""
    if not data.is_file():
        raise Invalid(f"{data} is not a file")
    window = Window(_day(train_start), train_days, delay_days, test_days)
    err.print(f"evaluating {data.name}: {_describe(window)}", markup=False)
    result = evaluate(data, window)
    err.print(_table(result))
    print(orjson.dumps(result.summary()).decode())


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(f"--train-start {text!r} is not a date like 2018-07-25") from None


def _describe(window: Window) -> str:
    def day(offset: int) -> date:
        return date.fromordinal(window.train_start.toordinal() + offset)

    return (
        f"train {day(0)}..{day(window.train_days - 1)}, delay {window.delay_days} days, "
        f"test {day(window.test_first_day)}..{day(window.end_day - 1)}"
    )


def _table(result: HandbookResult) -> Table:
    table = Table("metric", "value", title="handbook protocol, test window")
    table.add_row("AUC ROC", f"{result.auc_roc:.3f}")
    table.add_row("average precision", f"{result.average_precision:.3f}")
    table.add_row("card precision@100", f"{result.card_precision_at_100:.3f}")
    table.add_row(
        "training transactions (frauds)", f"{result.train_transactions} ({result.train_frauds})"
    )
    table.add_row(
        "test transactions (frauds)", f"{result.test_transactions} ({result.test_frauds})"
    )
    table.add_row("known-card transactions removed", str(result.known_cards_removed))
    table.add_row("run time", f"{result.seconds:.0f} s")
    return table
