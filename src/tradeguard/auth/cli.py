"""``tradeguard keys``: create, list and revoke API keys."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tradeguard.auth import keys
from tradeguard.cli_support import cli_errors, err, out, runtime
from tradeguard.db.session import unit_of_work

app = typer.Typer(help="API keys (stored hashed; a new key is shown once).", no_args_is_help=True)
CLI_ACTOR = "cli"


@app.command("create")
@cli_errors
def create(
    role: Annotated[keys.Role, typer.Option(help="admin, analyst or ingest")],
    name: Annotated[str, typer.Option(help="who or what will use the key")] = "cli",
) -> None:
    """Create a key; the key itself is the last line printed."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        record, plaintext = keys.create(session, role=role, name=name, actor=CLI_ACTOR)
    err.print(f"created {record.role} key {record.prefix} ({record.name}); it is not shown again:")
    print(plaintext)


@app.command("list")
@cli_errors
def list_() -> None:
    """Every key with its role and whether it is revoked."""
    table = Table("id", "prefix", "name", "role", "created", "revoked")
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        for key in keys.list_keys(session):
            revoked = key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else ""
            table.add_row(
                str(key.id),
                key.prefix,
                key.name,
                key.role,
                key.created_at.isoformat(timespec="seconds"),
                revoked,
            )
    out.print(table)


@app.command("revoke")
@cli_errors
def revoke(key_id: int) -> None:
    """Revoke a key by id; API workers stop accepting it within seconds."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        key = keys.revoke(session, key_id=key_id, actor=CLI_ACTOR)
    out.print(f"revoked key {key.id} ({key.prefix})")
