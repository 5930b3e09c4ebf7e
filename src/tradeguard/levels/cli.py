"""``tradeguard assess``, ``tradeguard controls`` and ``tradeguard coverage``."""

from __future__ import annotations

import csv
import hashlib
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import orjson
import typer
from pydantic import ValidationError
from rich.table import Table

from tradeguard.cli_support import cli_errors, out, runtime
from tradeguard.config import get_settings
from tradeguard.db.session import unit_of_work
from tradeguard.errors import Invalid, readable
from tradeguard.levels import attestations, service
from tradeguard.levels.catalog import read_custom, shipped_files
from tradeguard.levels.schemas import Assessment, AttestationCreate, VolumeItem

CLI_ACTOR = "cli"
controls_app = typer.Typer(help="The control catalog and attestations.", no_args_is_help=True)
coverage_app = typer.Typer(
    help="The store's own daily volumes, against which coverage is measured.",
    no_args_is_help=True,
)
Markets = Annotated[
    list[str] | None,
    typer.Option("--market", help="CN, US or EU (repeat for several); none: base controls only"),
]


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    html = "html"
    pdf = "pdf"


@cli_errors
def assess_command(
    market: Markets = None,
    report_format: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.table,
    output: Annotated[Path | None, typer.Option(help="write the report here")] = None,
    record: Annotated[bool, typer.Option(help="keep it in the history (the trend)")] = False,
    organisation: Annotated[str, typer.Option(help="the name on the report")] = "",
) -> None:
    """Grade the protection level from measured evidence and attestations; say what to fix next."""
    from tradeguard.levels.report import render_html
    from tradeguard.levels.report_pdf import render_pdf

    markets = service.parse_markets(market or [])
    if report_format == ReportFormat.pdf and output is None:
        raise Invalid("--format pdf needs --output FILE")
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        if record:
            result, _ = service.record(
                session, settings=rt.settings, markets=markets, actor=CLI_ACTOR
            )
        else:
            result = service.assess(session, settings=rt.settings, markets=markets)
        history = service.trend(session, markets=markets)
    if report_format == ReportFormat.table:
        _print_table(result)
        return
    body: bytes
    if report_format == ReportFormat.json:
        body = orjson.dumps(result.model_dump(mode="json"), option=orjson.OPT_INDENT_2)
    elif report_format == ReportFormat.html:
        body = render_html(result, history=history, organisation=organisation).encode()
    else:
        body = render_pdf(result, history=history, organisation=organisation)
    if output is None:
        print(body.decode())
        return
    output.write_bytes(body)
    out.print(f"wrote {output} (overall level {result.overall_level})", markup=False)


def _print_table(result: Assessment) -> None:
    markets = ", ".join(result.markets) or "base controls only"
    out.print(f"Protection level {result.overall_level} of 4 ({markets})", markup=False)
    grid = Table("layer", "level", "L1", "L2", "L3", "L4")
    for layer in result.layers:
        cells = [f"{c.status} {c.met}/{c.total}" for c in layer.cells]
        grid.add_row(layer.title, str(layer.level), *cells)
    out.print(grid)
    gaps = Table("#", "control", "cell", "status", "risk", "effort", "why now", title="Fix next")
    for n, gap in enumerate(result.gaps[:10], 1):
        gaps.add_row(
            str(n),
            f"{gap.control_id} {gap.title}",
            f"{gap.layer} L{gap.level}",
            gap.status,
            str(gap.risk),
            str(gap.effort),
            gap.why_now,
        )
    out.print(gaps)


@controls_app.command("list")
@cli_errors
def list_controls(market: Markets = None) -> None:
    """Every control in force, with how it is evidenced."""
    catalog = service.catalog_for(get_settings())
    markets = service.parse_markets(market) if market else None
    chosen = catalog.controls if markets is None else catalog.for_markets(markets)
    table = Table("id", "layer", "L", "markets", "evidence", "title")
    for c in chosen:
        spec = c.evidence.measure
        how = f"{spec.collector} {spec.target}" if spec else ""
        how += (" / " if how else "") + ("attestation" if c.evidence.attestation else "")
        table.add_row(c.id, c.layer, str(c.level), ",".join(c.markets) or "all", how, c.title)
    out.print(table)


@controls_app.command("check")
@cli_errors
def check_controls(
    path: Annotated[Path, typer.Argument(help="the organisation's YAML file")],
) -> None:
    """Check an organisation's controls file against the catalog before using it."""
    from tradeguard.levels.catalog import assemble, parse_file
    from tradeguard.levels.evidence import COLLECTORS, load_collectors

    load_collectors()
    name, text = read_custom(path)
    own = parse_file(text, name=name)
    catalog = assemble([*shipped_files(), (name, text)], known_collectors=set(COLLECTORS))
    out.print(
        f"{path}: {len(own.controls)} controls, valid beside the catalog's "
        f"{len(catalog.controls) - len(own.controls)}",
        markup=False,
    )


@controls_app.command("collectors")
def list_collectors() -> None:
    """The measurements a control can name."""
    from tradeguard.levels.evidence import COLLECTORS, load_collectors

    load_collectors()
    table = Table("collector", "unit", "measures")
    for name, found in sorted(COLLECTORS.items()):
        table.add_row(name, found.unit, found.describes)
    out.print(table)


@controls_app.command("attest")
@cli_errors
def attest(
    control_id: str,
    statement: Annotated[str, typer.Option(help="what is in place, in a sentence or two")],
    expires: Annotated[str, typer.Option(help="the last day it holds (YYYY-MM-DD)")],
    by: Annotated[str, typer.Option(help="who attests (a person, not a team)")],
    document: Annotated[
        str | None, typer.Option(help="a file (its SHA-256 is kept) or a reference (URL, DMS id)")
    ] = None,
) -> None:
    """Record that a control is met, with the document behind it."""
    digest = None
    if document and Path(document).is_file():
        digest = hashlib.sha256(Path(document).read_bytes()).hexdigest()
    try:
        body = AttestationCreate(
            control_id=control_id,
            statement=statement,
            document=document,
            document_sha256=digest,
            expires_on=date.fromisoformat(expires),
        )
    except ValueError as exc:
        raise Invalid(_first_problem(exc)) from None
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        catalog = service.catalog_for(rt.settings)
        row = attestations.attest(session, catalog=catalog, body=body, actor=f"cli:{by}")
        out.print(
            f"attestation {row.id}: {row.control_id} until {row.expires_at:%Y-%m-%d}", markup=False
        )


def _first_problem(exc: ValueError) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {readable(first['msg'])}"
    return f"--expires: {exc}"


@controls_app.command("attestations")
@cli_errors
def list_attestations(control_id: Annotated[str | None, typer.Option("--control")] = None) -> None:
    """Every attestation, newest first, with whether it is still in force."""
    from tradeguard.db.base import utcnow

    with runtime() as rt, unit_of_work(rt.sessions) as session:
        rows = attestations.history(session, control_id=control_id)
        now = utcnow()
        table = Table("id", "control", "by", "attested", "expires", "state", "document")
        for r in rows:
            state = "revoked" if r.revoked_at else "expired" if r.expires_at <= now else "in force"
            table.add_row(
                str(r.id),
                r.control_id,
                r.attested_by,
                f"{r.attested_at:%Y-%m-%d}",
                f"{r.expires_at:%Y-%m-%d}",
                state,
                r.document or "",
            )
    out.print(table)


@controls_app.command("revoke")
@cli_errors
def revoke(attestation_id: int, by: Annotated[str, typer.Option(help="who withdraws it")]) -> None:
    """Withdraw an attestation; the control no longer counts it."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        row = attestations.revoke(session, attestation_id=attestation_id, actor=f"cli:{by}")
        out.print(f"attestation {row.id} of {row.control_id} revoked", markup=False)


@coverage_app.command("report")
@cli_errors
def report_volume(
    kind: Annotated[str, typer.Option(help="login, signup, order, email, merchant ...")],
    day: Annotated[str, typer.Option(help="YYYY-MM-DD (UTC)")],
    count: Annotated[int, typer.Option(min=0, help="events of that kind the store saw that day")],
    source: Annotated[str, typer.Option(help="the reporting system")] = "default",
) -> None:
    """Report one day's count of events of a kind, as the store's system of record saw them."""
    _store_volumes([_item({"kind": kind, "day": day, "count": count, "source": source}, "")])


@coverage_app.command("import")
@cli_errors
def import_volumes(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Report many days at once from a CSV with columns kind, day, count[, source]."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"kind", "day", "count"} - set(reader.fieldnames or [])
        if missing:
            raise Invalid(f"{path}: missing columns: {', '.join(sorted(missing))}")
        items = [_item(row, f"{path}:{n}: ") for n, row in enumerate(reader, 2)]
    if not items:
        raise Invalid(f"{path}: no rows")
    _store_volumes(items)


def _item(row: dict[str, str | int], where: str) -> VolumeItem:
    data = {k: v for k, v in row.items() if k in ("kind", "day", "count", "source") and v != ""}
    try:
        return VolumeItem.model_validate(data)
    except ValidationError as exc:
        raise Invalid(where + _first_problem(exc)) from None


def _store_volumes(items: list[VolumeItem]) -> None:
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        changed = service.report_volumes(session, items=items, actor=CLI_ACTOR)
    out.print(f"{len(items)} day counts read, {changed} stored or changed", markup=False)
