"""``tradeguard events`` and ``tradeguard rules``."""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, cast

import orjson
import typer
from rich.table import Table

from tradeguard.cli_support import cli_errors, err, out, progress_bar, runtime
from tradeguard.config import load_settings
from tradeguard.db.session import unit_of_work
from tradeguard.engine import rulepacks
from tradeguard.engine.backtest import backtest_version
from tradeguard.engine.events import get_kind
from tradeguard.engine.ingest_files import FileFormat, count_lines, detect_format, read_lines
from tradeguard.engine.rules import load_pack
from tradeguard.engine.service import ingest
from tradeguard.errors import Invalid, TradeGuardError
from tradeguard.runtime import Runtime

events_app = typer.Typer(help="Screen events from files.", no_args_is_help=True)
rules_app = typer.Typer(
    help="Rule packs: upload, run live or in shadow, test, back-test.", no_args_is_help=True
)
CLI_ACTOR = "cli"
MAX_REJECTS_SHOWN = 50


@events_app.command("ingest")
@cli_errors
def ingest_file(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    kind: Annotated[str, typer.Option(help="event kind of every line, e.g. login")],
    file_format: Annotated[
        FileFormat | None, typer.Option("--format", help="jsonl or csv (default: by extension)")
    ] = None,
) -> None:
    """Screen every line; bad lines are reported and skipped, and re-runs are safe."""
    get_kind(kind)
    fmt = file_format or detect_format(path)
    decisions: Counter[str] = Counter()
    rejected: list[tuple[int, str]] = []
    replayed = 0
    with runtime() as rt, progress_bar() as progress:
        task = progress.add_task(f"screening {path.name}", total=count_lines(path))
        for line in read_lines(path, fmt):
            progress.advance(task)
            if line.data is None:
                rejected.append((line.number, line.problem or "unreadable"))
                continue
            try:
                verdict = _screen_line(rt, kind, line.data, from_strings=fmt == "csv")
            except TradeGuardError as exc:
                rejected.append((line.number, exc.detail))
                continue
            replayed += verdict.replayed
            decisions[verdict.decision.value] += 1
    _report(decisions, replayed, rejected)
    if rejected:
        raise typer.Exit(1)


def _screen_line(rt: Runtime, kind: str, data: dict[str, Any], *, from_strings: bool) -> Any:
    return ingest(
        rt.sessions,
        kind=kind,
        raw=data,
        actor=CLI_ACTOR,
        counters=rt.counters,
        from_strings=from_strings,
    )


def _report(decisions: Counter[str], replayed: int, rejected: list[tuple[int, str]]) -> None:
    table = Table("decision", "events", title="verdicts")
    for decision in ("allow", "challenge", "review", "block"):
        table.add_row(decision, str(decisions.get(decision, 0)))
    out.print(table)
    screened = sum(decisions.values())
    out.print(
        f"{screened} screened ({replayed} seen before, verdict unchanged), {len(rejected)} rejected"
    )
    for number, problem in rejected[:MAX_REJECTS_SHOWN]:
        err.print(f"line {number}: {problem}", markup=False)
    if len(rejected) > MAX_REJECTS_SHOWN:
        err.print(f"... and {len(rejected) - MAX_REJECTS_SHOWN} more rejected lines")


def _read_pack(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except UnicodeDecodeError:
        raise Invalid(f"{path} is not UTF-8 text") from None


def _status(value: str) -> rulepacks.Status:
    if value not in ("inactive", "shadow", "live"):
        raise Invalid("status must be inactive, shadow or live")
    return cast(rulepacks.Status, value)


@rules_app.command("upload")
@cli_errors
def upload(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    status: Annotated[str, typer.Option(help="inactive, shadow or live")] = "inactive",
) -> None:
    """Store a pack version (checked first); optionally run it live or in shadow."""
    wanted = _status(status)
    source = _read_pack(path)
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        record = rulepacks.upload(session, source=source, actor=CLI_ACTOR)
        if wanted != "inactive":
            rulepacks.set_status(
                session,
                pack_id=record.pack_id,
                version=record.version,
                status=wanted,
                actor=CLI_ACTOR,
            )
        out.print(f"{record.pack_id}@{record.version}: {record.status}")


@rules_app.command("status")
@cli_errors
def set_status(pack_id: str, version: int, status: str) -> None:
    """Run a stored version live or in shadow, or stop it (inactive)."""
    wanted = _status(status)
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        record = rulepacks.set_status(
            session, pack_id=pack_id, version=version, status=wanted, actor=CLI_ACTOR
        )
        out.print(f"{record.pack_id}@{record.version}: {record.status}")


@rules_app.command("list")
@cli_errors
def list_packs() -> None:
    """Every stored pack version and whether it runs."""
    table = Table("pack", "version", "status", "created", "by", "description")
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        for r in rulepacks.list_records(session):
            table.add_row(
                r.pack_id,
                str(r.version),
                r.status,
                r.created_at.isoformat(timespec="seconds"),
                r.created_by,
                r.description,
            )
    out.print(table)


@rules_app.command("test")
@cli_errors
def try_pack(
    pack_path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    events_path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    kind: Annotated[
        str | None, typer.Option(help="kind of the events (default: pack's first)")
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="also list events no rule fired on")
    ] = False,
) -> None:
    """Which rules fire on which events, in a throwaway store: nothing is kept."""
    pack = load_pack(_read_pack(pack_path))
    kind = kind or pack.spec.kinds[0]
    fired: Counter[str] = Counter()
    table = Table("line", "event", "decision", "score", "rules fired")
    with tempfile.TemporaryDirectory(prefix="tradeguard-rules-test-") as scratch:
        settings = load_settings(data_dir=Path(scratch), database_url=None, counter_backend="sql")
        rt = Runtime.start(settings, install_defaults=False)
        try:
            with unit_of_work(rt.sessions) as session:
                rulepacks.upload(session, source=pack.source, actor=CLI_ACTOR)
                rulepacks.set_status(
                    session,
                    pack_id=pack.spec.id,
                    version=pack.spec.version,
                    status="live",
                    actor=CLI_ACTOR,
                )
            fmt = detect_format(events_path)
            for line in read_lines(events_path, fmt):
                if line.data is None:
                    table.add_row(str(line.number), "-", "rejected", "", line.problem or "")
                    continue
                try:
                    verdict = _screen_line(rt, kind, line.data, from_strings=fmt == "csv")
                except TradeGuardError as exc:
                    table.add_row(
                        str(line.number), str(line.data.get("id", "-")), "rejected", "", exc.detail
                    )
                    continue
                codes = [
                    s.code.removeprefix("rule.") for s in verdict.signals + verdict.shadow_signals
                ]
                fired.update(codes)
                if codes or show_all:
                    table.add_row(
                        str(line.number),
                        verdict.event_id,
                        verdict.decision.value,
                        str(verdict.score),
                        ", ".join(codes),
                    )
        finally:
            rt.close()
            rulepacks.ACTIVE.invalidate()
    out.print(table)
    out.print("fired: " + (", ".join(f"{c} x{n}" for c, n in fired.most_common()) or "nothing"))


@rules_app.command("backtest")
@cli_errors
def run_backtest(
    pack_id: str,
    version: int,
    since: Annotated[datetime, typer.Option(help="ISO 8601 start (inclusive), with offset")],
    until: Annotated[datetime, typer.Option(help="ISO 8601 end (exclusive), with offset")],
    json_out: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Run a stored pack version over stored events; stored verdicts are not changed."""
    if since.tzinfo is None or until.tzinfo is None:
        raise Invalid("--since and --until need a UTC offset, e.g. 2026-01-01T00:00:00+00:00")
    if until <= since:
        raise Invalid("--until must be after --since")
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        report = backtest_version(
            session,
            pack_id=pack_id,
            version=version,
            since=since,
            until=until,
            counters=rt.counters(session),
            actor=CLI_ACTOR,
        )
    if json_out:
        print(orjson.dumps(report.model_dump(mode="json"), option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(
        "rule",
        "hits",
        "hit rate",
        "precision",
        "recall",
        "errors",
        title=f"{report.pack}: {report.events} events, {report.fraud_events} labelled "
        f"fraud of {report.labelled_events} labelled",
    )
    for r in [*report.rules]:
        table.add_row(
            r.rule_id + (" (shadow)" if r.shadow else ""),
            str(r.hits),
            f"{r.hit_rate:.2%}",
            _pct(r.precision),
            _pct(r.recall),
            str(r.errors),
        )
    f = report.flagged
    table.add_row(
        "[b]review or block[/b]",
        str(f.hits),
        f"{f.hit_rate:.2%}",
        _pct(f.precision),
        _pct(f.recall),
        "",
    )
    out.print(table)
    out.print(f"decisions: {report.decisions}; {report.changed_decisions} differ from stored")


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"
