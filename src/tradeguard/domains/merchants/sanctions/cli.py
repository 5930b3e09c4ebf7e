"""``tradeguard lists`` (sanctions lists: load, versions, diffs) and ``tradeguard screen``."""

from __future__ import annotations

import hashlib
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer
from rich.box import SIMPLE
from rich.table import Table

from tradeguard.cli_support import cli_errors, err, out, runtime
from tradeguard.db.session import unit_of_work
from tradeguard.domains.merchants.sanctions.entities import SOURCES, ListedEntity
from tradeguard.errors import Invalid
from tradeguard.runtime import Runtime

if TYPE_CHECKING:  # the matcher's imports (FtM, nomenklatura) load only when a command needs them
    from tradeguard.domains.merchants.sanctions.matching import Match
    from tradeguard.domains.merchants.sanctions.store import ListVersionDetail

app = typer.Typer(
    help="Sanctions lists: load official files, see their versions and what changed.",
    no_args_is_help=True,
)
CLI_ACTOR = "cli"
DIFF_LINES = 10  # per kind, after a load; `lists diff` shows every stored line


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


class Schema(StrEnum):
    PERSON = "Person"
    COMPANY = "Company"
    ORGANIZATION = "Organization"


@app.command("load-sanctions")
@cli_errors
def load_sanctions(
    path: Annotated[
        Path, typer.Argument(help="the list as published (a file, or the OFAC folder)")
    ],
    source: Annotated[str, typer.Option(help=f"the list's format: {', '.join(SOURCES)}")],
    allow_empty: Annotated[
        bool, typer.Option(help="let a file without entities replace a non-empty list")
    ] = False,
    rescreen: Annotated[
        bool, typer.Option(help="re-screen merchants against what the new version added or changed")
    ] = True,
) -> None:
    """Store a new version of a sanctions list, show its diff, and re-screen merchants."""
    from tradeguard.domains.merchants.sanctions import store
    from tradeguard.domains.merchants.sanctions.formats import read_list

    parsed = read_list(source, path)  # an unknown source or an unreadable file: Invalid
    with runtime() as rt:
        with unit_of_work(rt.sessions) as session:
            result = store.load_list(
                session,
                parsed,
                file_sha256=fingerprint(source, path),
                actor=CLI_ACTOR,
                allow_empty=allow_empty,
            )
        version = result.version
        if result.unchanged:
            out.print(f"{version.label}: the same file is already loaded; nothing changed")
            return
        _print_load(version)
        if not rescreen:
            err.print("re-screen skipped (--no-rescreen)")
            return
        with unit_of_work(rt.sessions) as session:
            changed = store.changed_entries(session, [version.id])
        if not changed:
            out.print("nothing added or changed: no merchant needs re-screening")
            return
        _rescreen(
            rt, changed, reason=f"{version.label}: {version.added} added, {version.changed} changed"
        )


def fingerprint(source: str, path: Path) -> str:
    """SHA-256 of what the list is read from, for the "same file again" check: the file, or
    for OFAC every file of its CSV set (a changed ``alt.csv`` alone is a new version).
    """
    if source != "ofac-sdn":
        return _file_sha256(path)
    from tradeguard.domains.merchants.sanctions.formats_ofac import ofac_files

    digest = hashlib.sha256()
    for item in ofac_files(path):
        if item.is_file():
            digest.update(f"{item.name}\0{_file_sha256(item)}\n".encode())
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _print_load(version: ListVersionDetail) -> None:
    out.print(
        f"{version.label} (version id {version.id}): {version.entity_count} entities;"
        f" {version.added} added, {version.changed} changed, {version.removed} removed,"
        f" {version.skipped} records skipped",
        markup=False,
    )
    for mark, entries, total in (
        ("+", version.diff.added, version.added),
        ("~", version.diff.changed, version.changed),
        ("-", version.diff.removed, version.removed),
    ):
        for entry in entries[:DIFF_LINES]:
            out.print(f"  {mark} {entry.entity_id}  {entry.caption}", markup=False)
        if total > DIFF_LINES:
            out.print(f"  {mark} ... and {total - DIFF_LINES} more", markup=False)
    for line in version.diff.skipped[:5]:
        err.print(f"skipped: {line}", markup=False)
    if version.skipped > 5:
        err.print(
            f"... and {version.skipped - 5} more skipped; `tradeguard lists diff {version.id}`"
        )


def _rescreen(rt: Runtime, changed: list[tuple[str, ListedEntity]], *, reason: str) -> None:
    from tradeguard.domains.merchants import monitoring

    report = monitoring.rescreen(
        rt.sessions,
        rt.counters,
        actor=CLI_ACTOR,
        changed=changed,
        reason=reason,
        workers=os.cpu_count() or 1,
    )
    out.print(f"re-screen against {len(changed)} added or changed: {report}", markup=False)


@app.command("sanctions")
@cli_errors
def list_versions(
    list_key: Annotated[
        str | None, typer.Option("--list", help="one list, e.g. un or ofac-sdn")
    ] = None,
) -> None:
    """Every stored version of the sanctions lists, newest first."""
    from tradeguard.domains.merchants.sanctions import store

    with runtime() as rt, unit_of_work(rt.sessions) as session:
        found = store.versions(session, list_key)
    if not found:
        out.print("no sanctions lists loaded; run `tradeguard lists load-sanctions`")
        return
    table = Table(
        "id", "list", "v", "published", "loaded", "entities", "+", "~", "-", "skip", box=SIMPLE
    )
    for v in found:
        table.add_row(
            str(v.id),
            v.list_key,
            str(v.number),
            str(v.published or ""),
            v.loaded_at.strftime("%Y-%m-%d %H:%M"),
            str(v.entity_count),
            str(v.added),
            str(v.changed),
            str(v.removed),
            str(v.skipped),
        )
    out.print(table)


@app.command("diff")
@cli_errors
def show_diff(
    version_id: Annotated[int, typer.Argument(help="the version id (`lists sanctions`)")],
) -> None:
    """What one list version added, changed and removed."""
    from tradeguard.domains.merchants.sanctions import store

    with runtime() as rt, unit_of_work(rt.sessions) as session:
        version = store.version(session, version_id)
    out.print(
        f"{version.label} (version id {version.id}, {version.name}): {version.added} added,"
        f" {version.changed} changed, {version.removed} removed, {version.skipped} skipped",
        markup=False,
    )
    err.print(
        f"loaded {version.loaded_at:%Y-%m-%d %H:%M} UTC by {version.loaded_by};"
        f" file sha-256 {version.file_sha256}",
        markup=False,
    )
    for title, entries, total in (
        ("added", version.diff.added, version.added),
        ("changed", version.diff.changed, version.changed),
        ("removed", version.diff.removed, version.removed),
    ):
        if not total:
            continue
        out.print(f"{title}:")
        for entry in entries:
            out.print(f"  {entry.entity_id}  {entry.caption}", markup=False)
        if total > len(entries):
            out.print(
                f"  ... and {total - len(entries)} more (the stored diff keeps {len(entries)})"
            )
    if version.diff.skipped:
        out.print("skipped:")
        for line in version.diff.skipped:
            out.print(f"  {line}", markup=False)


@cli_errors
def screen_command(
    name: Annotated[str, typer.Argument(help="the person's or company's name")],
    birth_date: Annotated[str | None, typer.Option(help="YYYY, YYYY-MM or YYYY-MM-DD")] = None,
    nationality: Annotated[str | None, typer.Option(help="a person's nationality, e.g. IR")] = None,
    country: Annotated[
        str | None, typer.Option(help="country of residence or registration")
    ] = None,
    schema: Annotated[Schema, typer.Option(help="what NAME is")] = Schema.PERSON,
    threshold: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="score >= this: a match [default: 0.7]")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="results at most")] = 5,
    format: Annotated[Format, typer.Option("--format", help="table or json")] = Format.TABLE,
) -> None:
    """Screen a name against the loaded sanctions lists, with the reasons for each score."""
    from tradeguard.domains.merchants.sanctions import store
    from tradeguard.domains.merchants.sanctions.matching import DEFAULT_THRESHOLD, Query

    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    properties = {
        "name": [name],
        "birthDate": [birth_date] if birth_date else [],
        "nationality": [nationality] if nationality else [],
        "country": [country] if country else [],
    }
    try:
        query = Query(schema=schema.value, properties={k: v for k, v in properties.items() if v})
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        lists = store.require_lists(session)
        found = store.current_index(session).match(query, threshold=threshold, limit=limit)
    if format is Format.JSON:
        doc = {
            "lists": [v.label for v in lists],
            "threshold": threshold,
            "results": [_json(m) for m in found],
        }
        sys.stdout.buffer.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
        return
    _print_matches(found, [v.label for v in lists], threshold)


def _json(found: Match) -> dict[str, Any]:
    return {
        "list": found.source,
        "entity_id": found.entity.entity_id,
        "caption": found.entity.caption,
        "schema": found.entity.schema,
        "programs": list(found.entity.programs),
        "score": found.score,
        "match": found.match,
        "features": {
            name: {"score": f.score, "detail": f.detail, "query": f.query, "candidate": f.candidate}
            for name, f in found.features.items()
        },
    }


def _print_matches(found: list[Match], lists: list[str], threshold: float) -> None:
    from tradeguard.domains.merchants.sanctions.matching import DEFAULT_CUTOFF

    err.print(f"screened against {'; '.join(lists)}", markup=False)
    if not found:
        out.print(f"no listed party scored {DEFAULT_CUTOFF} or more")
        return
    table = Table("score", "match", "list", "listed party", "why")
    for m in found:
        why = "\n".join(
            f"{n} {f.score:.2f}" + (f": {f.detail}" if f.detail else "")
            for n, f in sorted(m.features.items(), key=lambda kv: -kv[1].score)
        )
        table.add_row(
            f"{m.score:.2f}",
            "MATCH" if m.match else "",
            m.source,
            f"{m.entity.caption}\n{m.entity.entity_id} {m.entity.schema}"
            + (f"\n{', '.join(m.entity.programs)}" if m.entity.programs else ""),
            why,
        )
    out.print(table)
    matches = sum(m.match for m in found)
    out.print(f"{matches} of {len(found)} results at or above the threshold {threshold}")
