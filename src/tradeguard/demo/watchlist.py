"""The demo's sanctions list: a small fictional watch list, loaded and later updated.

The demo must run without the official lists (they are large downloads), so it ships its own
list in TradeGuard's CSV format, every party invented (the file's ``notes`` column says so).
Each version is copied into the demo folder under one file name, as an operator replaces a
downloaded file, and loaded through the sanctions store: the second version adds one party,
and the store's diff drives the re-screen of every merchant screened so far.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

from tradeguard.db.session import unit_of_work
from tradeguard.domains.merchants import monitoring
from tradeguard.domains.merchants.sanctions import store
from tradeguard.domains.merchants.sanctions.formats import read_list
from tradeguard.runtime import Runtime

FILE = "demo-watchlist.csv"  # the list's name is the file's stem: both versions are one list
VERSIONS = ("demo-watchlist.csv", "demo-watchlist-v2.csv")  # as shipped in the package


def load_watch_list(
    runtime: Runtime, folder: Path, *, version: int, actor: str
) -> store.LoadResult:
    """Put ``version`` (1 or 2) of the demo list in ``folder`` and load it."""
    shipped = resources.files("tradeguard.demo").joinpath(VERSIONS[version - 1]).read_bytes()
    target = folder / "lists" / FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(shipped)
    parsed = read_list("csv", target)
    with unit_of_work(runtime.sessions) as session:
        return store.load_list(
            session, parsed, file_sha256=hashlib.sha256(shipped).hexdigest(), actor=actor
        )


def update_watch_list(runtime: Runtime, folder: Path, *, actor: str) -> monitoring.RescreenReport:
    """Load the list's second version and re-screen every merchant against what it added."""
    loaded = load_watch_list(runtime, folder, version=2, actor=actor)
    version = loaded.version
    with unit_of_work(runtime.sessions) as session:
        changed = store.changed_entries(session, [version.id])
    return monitoring.rescreen(
        runtime.sessions,
        runtime.counters,
        actor=actor,
        changed=changed,
        reason=f"{version.label}: {version.added} added, {version.changed} changed",
    )
