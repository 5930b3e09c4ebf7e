"""``tradeguard events simulate-logins``: realistic login traffic to try the engine on."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from tradeguard.cli_support import cli_errors, err
from tradeguard.domains.accounts.simulate import simulate_logins


@cli_errors
def simulate_logins_command(
    out: Annotated[Path | None, typer.Option("--out", help="JSONL file (default: stdout)")] = None,
    customers: Annotated[int, typer.Option(min=10, max=1_000_000)] = 1000,
    days: Annotated[int, typer.Option(min=1, max=365)] = 14,
    seed: Annotated[int, typer.Option(help="same seed, same traffic")] = 7,
    truth: Annotated[
        Path | None, typer.Option(help="also write event id -> truth as JSONL")
    ] = None,
) -> None:
    """Write deterministic login events with brute force, spraying, stuffing and takeovers."""
    traffic = simulate_logins(seed=seed, customers=customers, days=days)
    handle = out.open("wb") if out else sys.stdout.buffer
    try:
        for item in traffic:
            handle.write(orjson.dumps(item.event) + b"\n")
    finally:
        if out:
            handle.close()
    if truth:
        truth.write_bytes(
            b"".join(orjson.dumps({"id": t.event["id"], "truth": t.truth}) + b"\n" for t in traffic)
        )
    err.print(f"{len(traffic)} login events from {customers} customers over {days} days")
