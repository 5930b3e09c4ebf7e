"""``tradeguard merchants``: screen applications from a file, re-screen, show one merchant."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tradeguard.cli_support import cli_errors, out, runtime
from tradeguard.db.session import unit_of_work
from tradeguard.engine.cli import ingest_file
from tradeguard.engine.ingest_files import FileFormat

app = typer.Typer(
    help="Merchants: KYB checks, sanctions screening and monitoring.", no_args_is_help=True
)
CLI_ACTOR = "cli"


@app.command("screen")
def screen(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    file_format: Annotated[
        FileFormat | None, typer.Option("--format", help="jsonl or csv (default: by extension)")
    ] = None,
) -> None:
    """Screen merchant applications (one JSON object a line), as `events ingest --kind merchant`."""
    ingest_file(path, kind="merchant", file_format=file_format)


@app.command("rescreen")
@cli_errors
def rescreen(
    full: Annotated[
        bool, typer.Option("--full", help="against every listed party, not only the latest changes")
    ] = False,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="processes to screen in (default: every core)")
    ] = None,
) -> None:
    """Re-screen every merchant; new hits become merchant_rescreen events and cases."""
    from tradeguard.domains.merchants.service import rescreen_merchants

    with runtime() as rt:
        report = rescreen_merchants(
            rt.sessions,
            rt.counters,
            actor=CLI_ACTOR,
            full=full,
            workers=workers or os.cpu_count() or 1,
        )
    out.print(f"re-screen: {report}", markup=False)


@app.command("show")
@cli_errors
def show(merchant_id: str) -> None:
    """The merchant's latest verdict and checks, and its latest re-screens."""
    from tradeguard.domains.merchants.service import merchant_record

    with runtime() as rt, unit_of_work(rt.sessions) as session:
        record = merchant_record(session, merchant_id)
    latest, verdict = record.latest, record.latest.verdict
    fields = latest.fields
    case = f", case {verdict.case_id}" if verdict.case_id else ""
    out.print(
        f"{merchant_id}: {fields.get('legal_name')} ({fields.get('registration_country')}),"
        f" {fields.get('action', 'application')} {latest.event_id} of"
        f" {latest.occurred_at:%Y-%m-%d %H:%M}: {verdict.decision.value} {verdict.score}{case}",
        markup=False,
    )
    for signal in verdict.signals:
        out.print(f"  - {signal.reason}", markup=False)
    checks: dict[str, Any] = fields.get("checks") or {}
    _print_checks(checks)
    for event in record.rescreens:
        v = event.verdict
        out.print(
            f"re-screen {event.occurred_at:%Y-%m-%d %H:%M}: {v.decision.value} {v.score}"
            f"{f', case {v.case_id}' if v.case_id else ''}",
            markup=False,
        )
        for signal in v.signals:
            out.print(f"  - {signal.reason}", markup=False)


def _print_checks(checks: dict[str, Any]) -> None:
    if not checks:
        out.print("no checks stored with this event")
        return
    screening = checks.get("screening") or {}
    lists = ", ".join(screening.get("lists") or []) or "none loaded: not screened"
    table = Table("party", "role", "name", "best hit", title=f"sanctions screening ({lists})")
    for party in screening.get("parties") or []:
        hits = party.get("hits") or []
        best = hits[0]["explanation"] if hits else "no hit"
        table.add_row(party["party"], party["role"], party["name"], best)
    out.print(table)
    for check in checks.get("identifiers") or []:
        mark = "ok" if check["valid"] else "INVALID"
        mark = mark if check.get("checked", True) else "not checked"
        out.print(f"identifier {mark}: {check['detail']}", markup=False)
    for flag in checks.get("jurisdictions") or []:
        status = flag["status"].replace("_", " ")
        out.print(f"FATF {status}: {flag['country']} ({flag['where']}, list of {flag['as_of']})")
    for sentence in checks.get("inconsistencies") or []:
        out.print(f"does not fit: {sentence}", markup=False)
    ring = checks.get("ring") or []
    if ring:
        out.print(f"linked to {checks.get('ring_merchants', len(ring))} other merchants:")
        for link in ring:
            decision = f" ({link['decision']})" if link.get("decision") else ""
            out.print(
                f"  {link['merchant_id']}{decision} via {link['entity_type']}"
                f" {link['entity_value']}",
                markup=False,
            )
