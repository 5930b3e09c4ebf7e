"""``tradeguard model``: train, evaluate, activate, roll back and list fraud models."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import numpy as np
import orjson
import typer
from rich.table import Table

from tradeguard.cli_support import cli_errors, out, runtime
from tradeguard.db.session import unit_of_work
from tradeguard.domains.payments import service
from tradeguard.domains.payments.handbook_cli import evaluate_handbook_command
from tradeguard.engine import models
from tradeguard.errors import Invalid

model_app = typer.Typer(
    help="Fraud models: train, evaluate, run live or in shadow, roll back.", no_args_is_help=True
)
model_app.command("evaluate-handbook")(evaluate_handbook_command)
CLI_ACTOR = "cli"
Since = Annotated[str, typer.Option(help="window start, ISO date or time (UTC)")]
Until = Annotated[str, typer.Option(help="window end (exclusive), ISO date or time (UTC)")]
LabelDelay = Annotated[
    int,
    typer.Option(min=0, max=365, help="orders younger than this without an outcome are unlabelled"),
]


def _moment(value: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{option} {value!r} is not an ISO date or time, e.g. 2026-11-01") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@model_app.command("train")
@cli_errors
def train(
    since: Since,
    until: Until,
    review_rate: Annotated[
        float | None, typer.Option(help="target share of orders held for review, e.g. 0.02")
    ] = None,
    fpr: Annotated[
        float | None, typer.Option(help="target share of legitimate orders held, e.g. 0.01")
    ] = None,
    label_delay_days: LabelDelay = service.DEFAULT_LABEL_DELAY_DAYS,
    name: Annotated[str, typer.Option(help="model name")] = service.MODEL_NAME,
) -> None:
    """Fit a new version on labelled orders of the window; it is stored inactive."""
    if review_rate is None and fpr is None:
        review_rate = 0.02
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        record = service.train_model(
            session,
            since=_moment(since, "--since"),
            until=_moment(until, "--until"),
            actor=CLI_ACTOR,
            review_rate=review_rate,
            fpr=fpr,
            label_delay_days=label_delay_days,
            name=name,
        )
        _show(models.ModelRead.model_validate(record))


@model_app.command("evaluate")
@cli_errors
def evaluate(
    version: int,
    since: Since,
    until: Until,
    label_delay_days: LabelDelay = service.DEFAULT_LABEL_DELAY_DAYS,
    name: Annotated[str, typer.Option(help="model name")] = service.MODEL_NAME,
) -> None:
    """Score a stored version on the labelled orders of a window (nothing is changed)."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        result = service.evaluate_model(
            session,
            name=name,
            version=version,
            since=_moment(since, "--since"),
            until=_moment(until, "--until"),
            label_delay_days=label_delay_days,
        )
    out.print(orjson.dumps(result).decode(), markup=False)


@model_app.command("activate")
@cli_errors
def activate(
    version: int,
    shadow: Annotated[
        bool, typer.Option(help="score beside the live model, decide nothing")
    ] = False,
    name: Annotated[str, typer.Option(help="model name")] = service.MODEL_NAME,
) -> None:
    """Make a version live (retiring the live one), or run it in shadow."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        record = models.set_status(
            session,
            name=name,
            version=version,
            status="shadow" if shadow else "live",
            actor=CLI_ACTOR,
        )
        out.print(f"{record.name}@{record.version}: {record.status}")


@model_app.command("deactivate")
@cli_errors
def deactivate(
    version: int, name: Annotated[str, typer.Option(help="model name")] = service.MODEL_NAME
) -> None:
    """Stop a live or shadow version; orders are then screened by rules alone."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        record = models.set_status(
            session, name=name, version=version, status="inactive", actor=CLI_ACTOR
        )
        out.print(f"{record.name}@{record.version}: {record.status}")


@model_app.command("rollback")
@cli_errors
def rollback(name: Annotated[str, typer.Option(help="model name")] = service.MODEL_NAME) -> None:
    """Make the previously live version live again."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        record = models.rollback(session, name=name, actor=CLI_ACTOR)
        out.print(f"{record.name}@{record.version}: {record.status}")


@model_app.command("score")
@cli_errors
def score(
    version: int,
    out_file: Annotated[Path, typer.Option("--out", help="CSV of order id, probability, score")],
    since: Annotated[str | None, typer.Option(help="only orders from (ISO, UTC)")] = None,
    until: Annotated[str | None, typer.Option(help="only orders before (ISO, UTC)")] = None,
    name: Annotated[str, typer.Option(help="model name")] = service.MODEL_NAME,
) -> None:
    """Re-score stored orders with a version, from the feature vectors they were screened with."""
    started, scored = time.perf_counter(), 0
    with runtime() as rt, unit_of_work(rt.sessions) as session, out_file.open("w") as handle:
        thresholds = models.get_record(session, name, version).thresholds
        held = 0
        handle.write("order_id,probability,score\n")
        for ids, probability in models.score_stored(
            session,
            name=name,
            version=version,
            since=_moment(since, "--since") if since else None,
            until=_moment(until, "--until") if until else None,
        ):
            scores = np.rint(probability * 100).astype(int)
            held += int((scores >= thresholds["review"]).sum())
            handle.writelines(
                f"{i},{p:.6f},{s}\n" for i, p, s in zip(ids, probability, scores, strict=True)
            )
            scored += len(ids)
    seconds = time.perf_counter() - started
    out.print(
        f"{scored} orders scored in {seconds:.1f} s; {held} at or above the review threshold "
        f"({thresholds['review']}); written to {out_file}",
        markup=False,
    )


@model_app.command("list")
@cli_errors
def list_models(
    name: Annotated[str | None, typer.Option(help="only this model name")] = None,
) -> None:
    """Every stored version with its status, training window and validation metrics."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        records = [
            models.ModelRead.model_validate(r) for r in models.list_records(session, name=name)
        ]
    table = Table("status", "trained on", "orders / fraud", "AUC", "AP", "thresholds")
    table.add_column("model", no_wrap=True)
    for r in records:
        table.add_row(
            r.status,
            f"{r.training['since'][:10]} .. {r.training['until'][:10]}",
            f"{r.training['orders']} / {r.training['fraud']}",
            _metric(r.metrics.get("validation_auc_roc")),
            _metric(r.metrics.get("validation_average_precision")),
            " / ".join(str(r.thresholds[k]) for k in ("challenge", "review", "block")),
            r.label,
        )
    out.print(table)


def _metric(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else "-"


def _show(record: models.ModelRead) -> None:
    m, t = record.metrics, record.thresholds
    auc, ap = _metric(m.get("validation_auc_roc")), _metric(m.get("validation_average_precision"))
    out.print(
        f"{record.label}: {record.status}; {record.training['orders']} orders "
        f"({record.training['fraud']} fraud); validation AUC {auc}, AP {ap}; "
        f"thresholds challenge/review/block {t['challenge']}/{t['review']}/{t['block']}",
        markup=False,
    )
