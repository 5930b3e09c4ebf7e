"""The demo store: built through the engine, deterministic, and careful with folders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tradeguard.auth import operators
from tradeguard.db.session import unit_of_work
from tradeguard.demo.build import MARKER, build
from tradeguard.demo.shop import traffic
from tradeguard.engine import audit, cases, lists, rulepacks
from tradeguard.engine.tables import EventRecord, VerdictRecord
from tradeguard.errors import Conflict
from tradeguard.runtime import Runtime

UNTIL = date(2026, 11, 20)


def quiet(_description: str, _total: int) -> Callable[[int], None]:
    return lambda _n: None


def test_the_demo_screens_its_shop_through_the_engine(tmp_path: Path) -> None:
    store = build(tmp_path / "demo", seed=3, customers=80, days=3, until=UNTIL, step=quiet)
    shop = traffic(seed=3, customers=80, days=3, start=datetime(2026, 11, 17, tzinfo=UTC))
    assert store.events == len(shop)
    assert sum(store.decisions.values()) == len(shop)
    assert store.decisions["block"] > 0
    assert store.countries >= 15
    runtime = Runtime.start(store.settings)
    try:
        with unit_of_work(runtime.sessions) as session:
            assert session.scalar(select(func.count()).select_from(VerdictRecord)) == len(shop)
            assert session.scalar(select(func.count()).select_from(EventRecord)) == len(shop)
            verdicts = audit.search(session, action="verdict.create", limit=100_000)
            assert len(verdicts) == len(shop)  # every decision made by the engine, audited
            admin = operators.by_username(session, store.admin)
            assert admin is not None
            assert admin.role == "admin"
            assert admin.must_change_password
            assert isinstance(
                operators.check_password(session, username="admin", password=store.password),
                type(admin),
            )
            assert rulepacks.get_record(session, "login-default", 2).status == "shadow"  # type: ignore[union-attr]
            assert {e.list_name for e in lists.entries(session)} == {"allow", "block"}
            labelled = cases.labels(session)
            assert labelled
            assert {label.label for label in labelled} <= {"fraud", "legitimate"}
    finally:
        runtime.close()


def test_same_seed_same_shop() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    first = traffic(seed=11, customers=60, days=2, start=start)
    again = traffic(seed=11, customers=60, days=2, start=start)
    other = traffic(seed=12, customers=60, days=2, start=start)
    assert [e.event for e in first] == [e.event for e in again]
    assert [e.event for e in first] != [e.event for e in other]
    assert [e.event["occurred_at"] for e in first] == sorted(e.event["occurred_at"] for e in first)


def test_a_rerun_replaces_the_demo_folder_but_nothing_else(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    build(folder, seed=3, customers=50, days=1, until=UNTIL, step=quiet)
    (folder / "stale.txt").write_text("from the last run")
    build(folder, seed=3, customers=50, days=1, until=UNTIL, step=quiet)
    assert not (folder / "stale.txt").exists()
    assert (folder / MARKER).exists()
    precious = tmp_path / "mine"
    precious.mkdir()
    (precious / "tradeguard.db").write_text("someone's real store")
    with pytest.raises(Conflict, match="not a demo folder"):
        build(precious, seed=3, customers=50, days=1, until=UNTIL, step=quiet)
    assert (precious / "tradeguard.db").read_text() == "someone's real store"
