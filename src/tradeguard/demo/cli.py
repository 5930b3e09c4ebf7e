"""``tradeguard demo``: build the demo shop, then serve the console on it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from tradeguard.cli_support import cli_errors, err, out, progress_bar
from tradeguard.config import Settings
from tradeguard.demo.build import build


@cli_errors
def demo_command(
    seed: Annotated[int, typer.Option(help="same seed (and --until), same shop")] = 7,
    customers: Annotated[int, typer.Option(min=50, max=200_000)] = 3000,
    days: Annotated[int, typer.Option(min=1, max=90)] = 14,
    until: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="last day of traffic (default: today)"),
    ] = None,
    data_dir: Annotated[Path, typer.Option(help="made afresh on every run")] = Path(
        "tradeguard-demo"
    ),
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    serve: Annotated[bool, typer.Option(help="serve the console when the shop is built")] = True,
) -> None:
    """Build a cross-border shop with attacks in it, screen it all, and serve the console."""
    started = time.perf_counter()
    last_day: date = until.date() if until else datetime.now(UTC).date()
    with progress_bar() as progress:

        def step(description: str, total: int) -> Callable[[int], None]:
            task = progress.add_task(description, total=total)
            return lambda n: progress.advance(task, n)

        store = build(
            data_dir, seed=seed, customers=customers, days=days, until=last_day, step=step
        )
    elapsed = time.perf_counter() - started
    attacks = sum(n for truth, n in store.truths.items() if truth != "normal")
    decisions = ", ".join(
        f"{store.decisions[d]} {d}" for d in ("allow", "challenge", "review", "block")
    )
    out.print(
        f"Screened {store.events:,} events from {customers:,} customers in {store.countries} "
        f"countries ({attacks:,} of them attacks) in {elapsed:.1f} s: {decisions}."
    )
    out.print(
        f"Cases: {store.cases_open} open, {store.cases_resolved} resolved by the demo analyst."
    )
    out.print(f"Order model: {store.model_note}")
    merchants = ", ".join(
        f"{store.merchant_decisions[d]} {d}" for d in ("allow", "challenge", "review", "block")
    )
    out.print(
        f"Merchants: {sum(store.merchant_decisions.values())} applications and updates screened"
        f" against the demo watch list ({store.watch_list}, fictional): {merchants}."
    )
    out.print(f"Watch-list update: {store.rescreen}.")
    stages = " -> ".join(f"L{n}" for n in store.levels)
    out.print(
        f"Protection level (base controls), recorded at {len(store.levels)} stages: {stages} "
        "of 4; what to fix next is on the console's Levels page."
    )
    out.print(f"Store: {store.settings.resolved_database_url}")
    out.print(f"\nConsole:  http://{host}:{port}/console/")
    out.print(f"Username: {store.admin}")
    out.print(f"One-time password: {store.password}")
    err.print("(you will choose your own password and set up two-factor sign-in)")
    if serve:
        _serve(store.settings, host, port)


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from tradeguard.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", access_log=False)
