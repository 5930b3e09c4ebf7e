"""Build the demo store: fresh SQLite, shop traffic screened by the engine, a worked queue.

Everything goes through the same services the API uses (``engine.service.ingest``,
``mail.service.screen_message`` for the raw messages, ``cases.resolve``, ``lists.add_entry``,
``rulepacks.upload``), so what the console shows is what the engine decided, not data written
around it.

Halfway through the window the demo trains the order model on the labels that have arrived by
then (declines, chargebacks, confirmations) and makes it live, as a store would after its
first weeks: the later orders' verdicts carry the model's signal and its explanation. Seller
applications are screened against the demo's fictional watch list, loaded before the first
one; halfway through, its second version lists one more person and every merchant screened so
far is re-screened, which opens a case for the seller she directs.
"""

from __future__ import annotations

import random
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select

from tradeguard.auth import operators
from tradeguard.config import Settings, load_settings
from tradeguard.db.session import unit_of_work
from tradeguard.demo import levels
from tradeguard.demo.shop import STORE_DOMAIN, DemoEvent, order_history_start, traffic
from tradeguard.demo.watchlist import load_watch_list, update_watch_list
from tradeguard.domains.mail.service import screen_message
from tradeguard.domains.mail.simulate import STAFF, demo_suppliers
from tradeguard.domains.payments import service as payments
from tradeguard.engine import cases, lists, models, rulepacks, stats
from tradeguard.engine.service import ingest
from tradeguard.engine.tables import CaseRecord, EventRecord
from tradeguard.engine.verdicts import Verdict
from tradeguard.errors import Conflict, Invalid, Unavailable
from tradeguard.runtime import Runtime

MARKER = ".tradeguard-demo"  # only a folder carrying this is ever wiped by the demo
ANALYST = "operator:demo-analyst"
LABELLED_SHARE = 0.7  # of the cases older than two days, resolved by the demo analyst
Step = Callable[[str, int], Callable[[int], None]]  # (description, total) -> advance(n)
# Orders younger than this with no outcome yet are left out of training, not taught as
# legitimate: most of the simulated fraud chargebacks have arrived a month after the order.
LABEL_DELAY_DAYS = 30


@dataclass
class DemoStore:
    settings: Settings
    admin: str
    password: str
    events: int
    decisions: Counter[str] = field(default_factory=Counter)
    truths: Counter[str] = field(default_factory=Counter)
    countries: int = 0
    cases_open: int = 0
    cases_resolved: int = 0
    model: str | None = None  # the order model trained and made live mid-window
    model_note: str = ""  # what it was trained on, or why there is none
    merchant_decisions: Counter[str] = field(default_factory=Counter)
    watch_list: str = ""  # the demo watch list's version at the start
    rescreen: str = ""  # what the list update's re-screen found
    rescreen_events: int = 0  # merchant_rescreen events it screened (not in the shop's events)
    levels: list[int] = field(default_factory=list)  # the overall level at each recorded stage


def fresh_settings(folder: Path) -> Settings:
    """A new SQLite store in ``folder``, whatever the environment says about databases.

    The shop's own domain, staff and suppliers are named, as a store would configure them, so
    mail that borrows their names is recognised as impersonation.
    """
    if folder.exists():
        if any(folder.iterdir()) and not (folder / MARKER).exists():
            raise Conflict(f"{folder} exists and is not a demo folder; choose another --data-dir")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("made by `tradeguard demo`; deleted by the next run\n")
    return load_settings(
        data_dir=folder,
        database_url=f"sqlite:///{(folder / 'tradeguard.db').resolve()}",
        counter_backend="sql",
        redis_url=None,
        mail_own_domains=[STORE_DOMAIN],
        mail_staff=list(STAFF),
        mail_suppliers=demo_suppliers(),
    )


def build(
    folder: Path, *, seed: int, customers: int, days: int, until: date, step: Step
) -> DemoStore:
    settings = fresh_settings(folder)
    start = datetime.combine(until - timedelta(days=days), time(), tzinfo=UTC)
    shop = traffic(seed=seed, customers=customers, days=days, start=start)
    runtime = Runtime.start(settings)
    try:
        _block_known_bad(runtime, shop)
        _upload_shadow_pack(runtime)  # before screening, so verdicts carry its shadow signals
        cut = start + timedelta(days=days / 2)
        first, rest = _split(shop, cut)
        store = DemoStore(settings=settings, admin="", password="", events=len(shop))
        listed = load_watch_list(runtime, folder, version=1, actor=ANALYST)
        store.watch_list = listed.version.label
        advance = step("screening the shop's events", len(shop))
        _screen(runtime, first, advance, store)
        store.levels.append(levels.record(runtime, actor=ANALYST))
        # The analysts have been working the queue meanwhile: their labels train the model too.
        _work_queue(runtime, shop, seed=seed, before=cut - timedelta(days=2))
        store.model, store.model_note = _train_order_model(
            runtime, since=order_history_start(days, start), cut=cut
        )
        report = update_watch_list(runtime, folder, actor=ANALYST)
        store.rescreen, store.rescreen_events = str(report), report.events
        _screen(runtime, rest, advance, store)
        store.countries = len({e.country for e in shop if e.country and not e.is_attack})
        _work_queue(runtime, shop, seed=seed, before=datetime.now(UTC) - timedelta(days=2))
        levels.report_volumes(runtime, shop, seed=seed)
        store.levels.append(levels.record(runtime, actor=ANALYST))
        levels.attest(runtime, today=datetime.now(UTC).date())
        store.levels.append(levels.record(runtime, actor=ANALYST))
        with unit_of_work(runtime.sessions) as session:
            operator, one_time = operators.create(
                session,
                username="admin",
                role="admin",
                display_name="Demo admin",
                actor="demo",
            )
            by_status = stats.counts(
                session, select(CaseRecord.status, func.count()).group_by(CaseRecord.status)
            )
            store.cases_open = by_status.get("open", 0)
            store.cases_resolved = by_status.get("resolved", 0)
        assert one_time is not None
        store.settings, store.admin, store.password = settings, operator.username, one_time
        return store
    finally:
        runtime.close()


def _split(shop: list[DemoEvent], cut: datetime) -> tuple[list[DemoEvent], list[DemoEvent]]:
    """Events before ``cut`` and from it on (the shop is in time order)."""
    at = next(
        (
            n
            for n, e in enumerate(shop)
            if datetime.fromisoformat(str(e.event["occurred_at"])) >= cut
        ),
        len(shop),
    )
    return shop[:at], shop[at:]


def _screen(
    runtime: Runtime, items: list[DemoEvent], advance: Callable[[int], None], store: DemoStore
) -> None:
    for n, item in enumerate(items, 1):
        verdict = _screen_one(runtime, item)
        store.decisions[verdict.decision.value] += 1
        if item.kind == "merchant":
            store.merchant_decisions[verdict.decision.value] += 1
        store.truths[item.truth] += 1
        if n % 250 == 0 or n == len(items):
            advance(250 if n % 250 == 0 else n % 250)


def _screen_one(runtime: Runtime, item: DemoEvent) -> Verdict:
    """Mail is analysed from its raw bytes, as the mail API does; every other kind is JSON."""
    if item.kind == "email":
        return screen_message(
            runtime.sessions,
            raw=item.raw,
            context=runtime.mail,
            actor="demo",
            counters=runtime.counters,
            event_id=str(item.event["id"]),
            received_at=datetime.fromisoformat(str(item.event["occurred_at"])),
        )
    return ingest(
        runtime.sessions, kind=item.kind, raw=item.event, actor="demo", counters=runtime.counters
    )


def _train_order_model(
    runtime: Runtime, *, since: datetime, cut: datetime
) -> tuple[str | None, str]:
    """Fit the order model on what was known at ``cut`` and make it live; none if too few labels.

    A small demo (few customers, few days) may not hold the five frauds and five legitimate
    orders per time part that fitting needs; the shop is still worth showing without a model.
    """
    try:
        with unit_of_work(runtime.sessions) as session:
            record = payments.train_model(
                session,
                since=since,
                until=cut,
                now=cut,
                label_delay_days=LABEL_DELAY_DAYS,
                actor=ANALYST,
            )
            models.set_status(
                session, name=record.name, version=record.version, status="live", actor=ANALYST
            )
            label, training = f"{record.name}@{record.version}", dict(record.training)
    except (Invalid, Unavailable) as exc:
        return None, f"no order model: {exc.detail}"
    return label, (
        f"{label} trained on {training['orders']:,} labelled orders ({training['fraud']} fraud) "
        f"known by {cut:%Y-%m-%d %H:%M} UTC, live from then on"
    )


def _block_known_bad(runtime: Runtime, shop: list[DemoEvent]) -> None:
    """What a store's team would already have listed: one spraying network from a partner."""
    sprayer = next((e for e in shop if e.truth == "password_spraying"), None)
    with unit_of_work(runtime.sessions) as session:
        if sprayer is not None:
            network = ".".join(str(sprayer.event["ip"]).split(".")[:3]) + ".0/24"
            lists.add_entry(
                session,
                list_name="block",
                entity_type="ip",
                value=network,
                actor=ANALYST,
                reason="reported by our payment provider: credential attacks from this network",
            )
        lists.add_entry(
            session,
            list_name="allow",
            entity_type="account",
            value="cust-00001",
            actor=ANALYST,
            reason="key account: wholesale buyer, verified by phone",
        )


def _work_queue(runtime: Runtime, shop: list[DemoEvent], *, seed: int, before: datetime) -> None:
    """Resolve most older open cases by their truth, as an analyst would: labels for training.

    Run at the cut (cases known by then) and at the end; a case skipped once may be worked later.
    """
    truth = {(e.kind, str(e.event["id"])): e.truth for e in shop}
    with unit_of_work(runtime.sessions) as session:
        rows = session.execute(
            select(CaseRecord.id, EventRecord.kind, EventRecord.event_id)
            .join(EventRecord, EventRecord.id == CaseRecord.event_pk)
            .where(EventRecord.occurred_at < before, CaseRecord.status == "open")
            .order_by(CaseRecord.id)
        ).all()
        for case_id, kind, event_id in rows:
            # Decided per case, so a case skipped at the cut stays skipped at the end; a case
            # of no shop event (a merchant re-screen) has no truth to label it by.
            if random.Random(f"{seed}:{case_id}").random() >= LABELLED_SHARE:  # noqa: S311
                continue
            if (kind, event_id) not in truth:
                continue
            fraud = truth[(kind, event_id)] != "normal"
            note = "confirmed attack traffic" if fraud else "customer confirmed it was them"
            cases.resolve(
                session,
                case_id=case_id,
                actor=ANALYST,
                resolution=cases.CaseResolve(label="fraud" if fraud else "legitimate", note=note),
            )


def _upload_shadow_pack(runtime: Runtime) -> None:
    source = resources.files("tradeguard.demo").joinpath("login-default-v2.yaml").read_text("utf-8")
    with unit_of_work(runtime.sessions) as session:
        record = rulepacks.upload(session, source=source, actor=ANALYST)
        rulepacks.set_status(
            session,
            pack_id=record.pack_id,
            version=record.version,
            status="shadow",
            actor=ANALYST,
        )
