"""``tradeguard users``: console operators from the command line (the first admin, recovery)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from tradeguard.auth import operators
from tradeguard.auth.models import Operator
from tradeguard.cli_support import cli_errors, err, out, runtime
from tradeguard.db.session import unit_of_work
from tradeguard.errors import NotFound

app = typer.Typer(help="Console operators (admin, analyst, viewer).", no_args_is_help=True)
CLI_ACTOR = "cli"


@app.command("create")
@cli_errors
def create(
    username: str,
    role: Annotated[operators.OperatorRole, typer.Option(help="admin, analyst or viewer")],
    display_name: Annotated[str | None, typer.Option(help="shown in the console")] = None,
    password_stdin: Annotated[
        bool, typer.Option(help="read a chosen password from stdin instead of a one-time one")
    ] = False,
) -> None:
    """Create an operator; without --password-stdin a one-time password is the last line."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        operator, one_time = operators.create(
            session,
            username=username,
            role=role,
            display_name=display_name,
            password=password,
            actor=CLI_ACTOR,
        )
    if one_time is None:
        out.print(f"created {operator.role} {operator.username}")
        return
    err.print(
        f"created {operator.role} {operator.username}; sign in with this one-time password, "
        "then choose your own and set up two-factor sign-in:"
    )
    print(one_time)


@app.command("list")
@cli_errors
def list_() -> None:
    """Every operator with role, two-factor status and lock state."""
    table = Table("id", "username", "name", "role", "2FA", "last sign-in", "state")
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        for op in operators.list_operators(session):
            state = "disabled" if op.disabled_at else "locked" if op.locked_until else "active"
            last = op.last_login_at.isoformat(timespec="seconds") if op.last_login_at else ""
            two_factor = "on" if op.totp_enabled_at else "off"
            table.add_row(
                str(op.id), op.username, op.display_name, op.role, two_factor, last, state
            )
    out.print(table)


def _by_name(session: Session, username: str) -> Operator:
    operator = operators.by_username(session, username)
    if operator is None:
        raise NotFound(f"no operator {username!r}")
    return operator


def _admin_action(name: str, action: Callable[..., Operator], done: str, help_: str) -> None:
    @app.command(name, help=help_)
    @cli_errors
    def command(username: str) -> None:
        with runtime() as rt, unit_of_work(rt.sessions) as session:
            operator = _by_name(session, username)
            action(session, operator_id=operator.id, actor=CLI_ACTOR)
        out.print(f"{done} {username}")


_admin_action("unlock", operators.unlock, "unlocked", "Clear failed sign-ins and any lock.")
_admin_action("disable", operators.disable, "disabled", "Stop an operator signing in.")
_admin_action("enable", operators.enable, "enabled", "Let a disabled operator sign in again.")
_admin_action(
    "reset-2fa",
    operators.reset_second_factor,
    "two-factor sign-in reset for",
    "Forget an operator's TOTP and recovery codes; they enrol again at next sign-in.",
)


@app.command("set-role")
@cli_errors
def set_role(
    username: str,
    role: Annotated[operators.OperatorRole, typer.Argument(help="admin, analyst or viewer")],
) -> None:
    """Change an operator's role; their sessions end so it applies at once."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        operator = _by_name(session, username)
        operators.set_role(session, operator_id=operator.id, role=role, actor=CLI_ACTOR)
    out.print(f"{username} is now {role.value}")


@app.command("reset-password")
@cli_errors
def reset_password(username: str) -> None:
    """Give an operator a new one-time password (the last line); their sessions end."""
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        operator = _by_name(session, username)
        _, one_time = operators.reset_password(session, operator_id=operator.id, actor=CLI_ACTOR)
    err.print(f"new one-time password for {username}; it is not shown again:")
    print(one_time)
