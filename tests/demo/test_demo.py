"""The demo store: built through the engine, deterministic, and careful with folders."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tradeguard.auth import operators
from tradeguard.db.session import unit_of_work
from tradeguard.demo.build import MARKER, build
from tradeguard.demo.shop import MIN_MESSAGES, STORE_DOMAIN, DemoEvent, traffic
from tradeguard.domains.mail.attacks import ATTACKS
from tradeguard.domains.mail.simulate import STAFF
from tradeguard.engine import audit, cases, lists, models, rulepacks
from tradeguard.engine.tables import CaseRecord, EventRecord, VerdictRecord
from tradeguard.errors import Conflict
from tradeguard.runtime import Runtime

UNTIL = date(2026, 11, 20)
CUSTOMERS = 1500  # enough for five labelled frauds in each part of the training window


def quiet(_description: str, _total: int) -> Callable[[int], None]:
    return lambda _n: None


def test_the_demo_screens_its_shop_through_the_engine(tmp_path: Path) -> None:
    store = build(tmp_path / "demo", seed=3, customers=80, days=3, until=UNTIL, step=quiet)
    shop = traffic(seed=3, customers=80, days=3, start=datetime(2026, 11, 17, tzinfo=UTC))
    assert store.events == len(shop)
    assert sum(store.decisions.values()) == len(shop)
    assert store.decisions["block"] > 0
    assert {e.kind for e in shop} >= {"login", "signup", "order", "email"}
    assert {e.truth for e in shop if e.kind == "signup"} >= {"normal", "fake_account_farm"}
    assert store.countries >= 15
    assert store.settings.mail_own_domains == [STORE_DOMAIN]
    assert store.settings.mail_staff == list(STAFF)
    assert "Shenzhen Bright Textile Co" in store.settings.mail_suppliers
    runtime = Runtime.start(store.settings)
    screened = len(shop) + store.rescreen_events  # the list update's re-screen adds its own
    try:
        with unit_of_work(runtime.sessions) as session:
            assert session.scalar(select(func.count()).select_from(VerdictRecord)) == screened
            assert session.scalar(select(func.count()).select_from(EventRecord)) == screened
            verdicts = audit.search(session, action="verdict.create", limit=100_000)
            assert len(verdicts) == screened  # every decision made by the engine, audited
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
            assert_the_inbox_was_screened(session, [e for e in shop if e.kind == "email"])
            assert_the_merchants_were_screened(session, [e for e in shop if e.kind == "merchant"])
        assert store.watch_list.startswith("csv:demo-watchlist v1")
        assert "1 cases opened" in store.rescreen
    finally:
        runtime.close()
    assert (store.settings.data_dir / "lists" / "demo-watchlist.csv").read_text().count(
        "FICTIONAL"
    ) == 15  # the second version, as an operator would have replaced the file


def assert_the_merchants_were_screened(session: Session, merchants: list[DemoEvent]) -> None:
    """Listed owners blocked, the shell ring held, most sellers let in, the list update's case."""
    decided = dict(
        session.execute(
            select(EventRecord.event_id, VerdictRecord.decision)
            .join(VerdictRecord, VerdictRecord.event_pk == EventRecord.id)
            .where(EventRecord.kind == "merchant")
        ).all()
    )
    by_truth: dict[str, list[str]] = {}
    for e in merchants:
        by_truth.setdefault(e.truth, []).append(decided[str(e.event["id"])])
    for truth in (
        "sanctioned_owner",
        "sanctioned_director",
        "sanctioned_company",
        "listed_director_added",
    ):
        assert set(by_truth[truth]) == {"block"}, (truth, by_truth[truth])
    ring = by_truth["shell_ring"]
    assert len(ring) >= 5
    assert sum(d in ("review", "block") for d in ring) >= len(ring) - 1  # all but the first
    assert set(by_truth["fatf_jurisdiction"]) <= {"review", "block"}
    assert set(by_truth["invalid_vat"]) == {"review"}
    normal = by_truth["normal"]
    assert len(normal) >= 150
    assert normal.count("allow") / len(normal) >= 0.95
    rescreens = session.execute(
        select(EventRecord.entities, VerdictRecord.decision, CaseRecord.status)
        .join(VerdictRecord, VerdictRecord.event_pk == EventRecord.id)
        .join(CaseRecord, CaseRecord.event_pk == EventRecord.id)
        .where(EventRecord.kind == "merchant_rescreen")
    ).all()
    [(entities, decision, status)] = rescreens
    [listed_later] = [e for e in merchants if e.event["legal_name"] == "Elvestad Living B.V."]
    assert entities["merchant"] == listed_later.event["merchant_id"]
    assert (decision, status) == ("block", "open")


def assert_the_inbox_was_screened(session: Session, mail: list[DemoEvent]) -> None:
    """Every message analysed from its raw bytes; every attack held, most routine mail let in."""
    assert len(mail) == MIN_MESSAGES
    assert {e.truth for e in mail} - {"normal"} == {name for name, _ in ATTACKS}
    decided = dict(
        session.execute(
            select(EventRecord.event_id, VerdictRecord.decision)
            .join(VerdictRecord, VerdictRecord.event_pk == EventRecord.id)
            .where(EventRecord.kind == "email")
        ).all()
    )
    assert set(decided) == {str(e.event["id"]) for e in mail}
    missed = [e.truth for e in mail if e.is_attack and decided[str(e.event["id"])] == "allow"]
    assert not missed, f"attacks delivered: {missed}"
    routine = [decided[str(e.event["id"])] for e in mail if not e.is_attack]
    assert routine.count("allow") / len(routine) >= 0.9


def test_the_demo_screens_orders_and_makes_a_model_trained_midway_live(tmp_path: Path) -> None:
    """Orders and outcomes are screened with the logins; later orders carry the model's signal."""
    store = build(tmp_path / "demo", seed=3, customers=CUSTOMERS, days=2, until=UNTIL, step=quiet)
    end = datetime(2026, 11, 20, tzinfo=UTC)
    shop = traffic(seed=3, customers=CUSTOMERS, days=2, start=end - timedelta(days=2))
    kinds = Counter(e.kind for e in shop)
    assert kinds["order"] > 0
    assert kinds["order_outcome"] > 0
    assert max(str(e.event["occurred_at"]) for e in shop) < end.isoformat()  # no future labels
    assert {e.truth for e in shop if e.kind == "order"} >= {"normal", "card_testing"}
    assert store.model == "order-fraud@1", store.model_note
    cut = end - timedelta(days=1)
    runtime = Runtime.start(store.settings)
    try:
        with unit_of_work(runtime.sessions) as session:
            assert models.get_record(session, "order-fraud", 1).status == "live"
            rows = session.execute(
                select(EventRecord.occurred_at, VerdictRecord.model_versions)
                .join(VerdictRecord, VerdictRecord.event_pk == EventRecord.id)
                .where(EventRecord.kind == "order")
            ).all()
            assert len(rows) == kinds["order"]
            for at, versions in rows:
                assert versions == (["order-fraud@1"] if at >= cut else []), at
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
