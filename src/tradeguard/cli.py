"""The ``tradeguard`` command."""

from __future__ import annotations

from typing import Annotated

import typer

from tradeguard.auth.cli import app as keys_app
from tradeguard.auth.users_cli import app as users_app
from tradeguard.cli_support import cli_errors, out
from tradeguard.config import get_settings
from tradeguard.demo.cli import demo_command
from tradeguard.domains.accounts.cli import simulate_logins_command
from tradeguard.domains.mail.cli import app as mail_app
from tradeguard.domains.merchants.cli import app as merchants_app
from tradeguard.domains.merchants.sanctions.cli import app as lists_app
from tradeguard.domains.merchants.sanctions.cli import screen_command
from tradeguard.domains.payments.cli import model_app
from tradeguard.engine.cli import events_app, rules_app
from tradeguard.errors import Invalid
from tradeguard.levels.cli import assess_command, controls_app, coverage_app

app = typer.Typer(
    help="TradeGuard: screen, decide and protect cross-border e-commerce.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")
app.add_typer(rules_app, name="rules")
app.add_typer(events_app, name="events")
app.add_typer(model_app, name="model")
app.add_typer(mail_app, name="mail")
app.add_typer(merchants_app, name="merchants")
app.add_typer(lists_app, name="lists")
app.add_typer(controls_app, name="controls")
app.add_typer(coverage_app, name="coverage")
events_app.command("simulate-logins")(simulate_logins_command)
app.command("demo")(demo_command)
app.command("screen")(screen_command)
app.command("assess")(assess_command)


@db_app.command("upgrade")
@cli_errors
def db_upgrade() -> None:
    """Bring the database schema up to date (serve does this on start)."""
    from tradeguard.db.migrate import current_revision
    from tradeguard.runtime import Runtime

    rt = Runtime.start(get_settings())
    try:
        out.print(f"database at revision {current_revision(rt.engine)}")
    finally:
        rt.close()


@app.command()
@cli_errors
def serve(
    host: Annotated[str | None, typer.Option(help="default: TRADEGUARD_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="default: TRADEGUARD_PORT")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="API worker processes")] = 1,
) -> None:
    """Serve the API (and OpenAPI docs at /docs); upgrades the schema first."""
    import uvicorn

    from tradeguard.runtime import Runtime

    settings = get_settings()
    if workers > 1 and settings.resolved_database_url.startswith("sqlite"):
        raise Invalid("SQLite serves from one worker process; use PostgreSQL for --workers > 1")
    Runtime.start(settings).close()  # migrate once, before workers start
    uvicorn.run(
        "tradeguard.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level=settings.log_level,
        access_log=False,
    )


def main() -> None:
    app()
