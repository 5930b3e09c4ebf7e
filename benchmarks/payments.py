"""Payments benchmark: order verdicts with the model, HTTP throughput, batch scoring and replays.

    python benchmarks/payments.py                         # everything, SQLite and PostgreSQL
    python benchmarks/payments.py --stores sqlite --orders 3000 --batch-rows 200000

A seeded generator (kept in this script) makes a few thousand customers with cards, devices,
e-mails, addresses and home countries, orders at 40 merchants in several currencies, and
fraud: stolen cards shipped to drop addresses, card-testing bursts with declines and account
takeovers, each fraud charged back weeks later. A model is fitted on a replay of that history
and set live in each fresh store, so every measured verdict runs the full ``order-default``
pack, up to 48 counter ranges in one round trip, the model and its SHAP explanation.

Parts (each with its own size flag):

- in-process: ``engine.service.ingest`` per order, one after another (outcomes are ingested
  between them, as they arrive, but only orders are timed);
- HTTP: ``tradeguard serve`` on loopback and wrk posting distinct orders (Python client
  without wrk);
- replay: ``engine.replay.replay`` over the generated history (events/s, after parsing);
- back-test: ``engine.backtest.backtest`` of ``order-default@1`` on the stored orders;
- batch scoring: N stored orders with their stored feature vectors (bulk-inserted), re-scored
  in chunks by ``engine.models.score_stored`` (what ``tradeguard model score`` runs).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from _common import latency_summary, post_all, served, server_env, store, wrk
from sqlalchemy import Table

from tradeguard.config import load_settings
from tradeguard.db.session import unit_of_work
from tradeguard.domains.payments.features import ORDER_FEATURES
from tradeguard.domains.payments.reference import reference
from tradeguard.domains.payments.training import fit
from tradeguard.engine import models
from tradeguard.engine.backtest import backtest
from tradeguard.engine.events import Event, parse_event
from tradeguard.engine.features import pack
from tradeguard.engine.ml import FittedModel
from tradeguard.engine.replay import Replayed, replay
from tradeguard.engine.rulepacks import get_record
from tradeguard.engine.rules import load_pack
from tradeguard.engine.service import ingest
from tradeguard.engine.tables import EventRecord, FeatureVector
from tradeguard.engine.verdicts import Thresholds
from tradeguard.runtime import Runtime

MODEL = "order-fraud"
# country, currency, a city; card BINs are made up per country
COUNTRIES = (
    ("DE", "EUR", "Berlin"),
    ("FR", "EUR", "Paris"),
    ("NL", "EUR", "Utrecht"),
    ("ES", "EUR", "Madrid"),
    ("IT", "EUR", "Milano"),
    ("GB", "GBP", "Leeds"),
    ("US", "USD", "Denver"),
    ("CA", "CAD", "Toronto"),
    ("PL", "PLN", "Krakow"),
    ("SE", "SEK", "Malmo"),
    ("CH", "CHF", "Basel"),
    ("JP", "JPY", "Osaka"),
    ("AU", "AUD", "Perth"),
    ("BR", "BRL", "Recife"),
)
FRAUD_COUNTRIES = ("NG", "RU", "VN", "ID", "RO", "US", "BR")
EVERYDAY = ("books", "clothing", "home", "toys", "grocery", "sports", "garden", "pets")
RISKY = ("electronics", "phones", "gift_cards", "luxury", "sneakers", "gaming")
MAILS = ("gmail.com", "outlook.com", "yahoo.com", "web.de", "icloud.com", "gmx.net")
THROWAWAY = ("mailinator.com", "guerrillamail.com", "yopmail.com")
STREETS = ("Main St", "Hauptstrasse", "Rue de la Paix", "High Street", "Via Roma", "Kerkstraat")


def core_table(model: type[Any]) -> Table:
    """The Core table of an ORM class, typed as a table."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


@dataclass
class Customer:
    n: int
    country: str
    currency: str
    city: str
    cards: list[dict[str, str]]
    devices: list[str]
    email: str
    ip: str
    address: dict[str, str]
    created: datetime
    spend_eur: float


def _ip(rng: random.Random) -> str:
    return (
        f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    )


def _card(rng: random.Random, country: str, tag: str) -> dict[str, str]:
    return {
        "type": "card",
        "card_bin": f"4{rng.randint(10000, 99999)}",
        "card_fingerprint": f"fp-{tag}",
        "card_last4": f"{rng.randint(0, 9999):04d}",
        "issuing_country": country,
    }


def _address(rng: random.Random, country: str, city: str) -> dict[str, str]:
    return {
        "line1": f"{rng.randint(1, 300)} {rng.choice(STREETS)}",
        "city": city,
        "postal_code": f"{rng.randint(10000, 99999)}",
        "country": country,
    }


def _items(rng: random.Random, eur: float, risky_share: float, rate: float) -> list[dict[str, Any]]:
    count = rng.choice((1, 1, 1, 2, 2, 3))
    items = []
    for _ in range(count):
        category = rng.choice(RISKY) if rng.random() < risky_share else rng.choice(EVERYDAY)
        price = eur / count / rate
        items.append({"category": category, "quantity": 1, "unit_price": f"{price:.2f}"})
    return items


@dataclass
class History:
    events: list[tuple[str, dict[str, Any]]]  # (kind, raw event), oldest first
    fraud: dict[str, bool]  # order id -> truth

    @property
    def orders(self) -> list[dict[str, Any]]:
        return [raw for kind, raw in self.events if kind == "order"]


def generate(orders: int, *, customers: int, days: int, seed: int, end: datetime) -> History:
    """Seeded synthetic orders and outcomes over ``days`` days ending at ``end``."""
    rng = random.Random(seed)
    rates = reference().eur_per_unit
    start = end - timedelta(days=days)
    people = []
    for n in range(customers):
        country, currency, city = rng.choice(COUNTRIES)
        cards = [_card(rng, country, f"{n}-{k}") for k in range(rng.choice((1, 1, 1, 2)))]
        people.append(
            Customer(
                n=n,
                country=country,
                currency=currency,
                city=city,
                cards=cards,
                devices=[f"dev-{n}-{k}" for k in range(rng.choice((1, 1, 2)))],
                email=f"c{n}.{rng.randint(1, 999)}@{rng.choice(MAILS)}",
                ip=_ip(rng),
                address=_address(rng, country, city),
                created=start - timedelta(days=rng.uniform(1, 900)),
                spend_eur=rng.lognormvariate(3.8, 0.8),
            )
        )
    merchants = [f"m-{k}" for k in range(40)]
    weights = [1 / (k + 1) for k in range(len(merchants))]
    drops = [_address(rng, c, "Dropville") for c, _, _ in rng.choices(COUNTRIES, k=25)]
    fraud_devices = [f"fdev-{k}" for k in range(60)]
    events: list[tuple[datetime, str, dict[str, Any]]] = []
    truth: dict[str, bool] = {}
    seq = 0

    def order(
        at: datetime, c: Customer, *, card: dict[str, str], eur: float, **over: Any
    ) -> dict[str, Any]:
        nonlocal seq
        seq += 1
        rate = rates[c.currency]
        raw: dict[str, Any] = {
            "id": f"o-{seed}-{seq}",
            "occurred_at": at.isoformat(),
            "account_id": f"acct-{c.n}",
            "email": c.email,
            "amount": f"{eur / rate:.2f}",
            "currency": c.currency,
            "items": _items(rng, eur, over.pop("risky", 0.08), rate),
            "payment": card,
            "billing_address": c.address,
            "shipping_address": c.address,
            "ip": c.ip,
            "ip_country": c.country,
            "device_id": rng.choice(c.devices),
            "merchant_id": rng.choices(merchants, weights)[0],
            "account_created_at": c.created.isoformat(),
        }
        raw.update(over)
        return raw

    def add(at: datetime, raw: dict[str, Any], fraud: bool) -> None:
        events.append((at, "order", raw))
        truth[raw["id"]] = fraud
        if fraud and rng.random() < 0.85:
            later = at + timedelta(days=rng.uniform(5, 40))
            code = rng.choice(("10.4", "4837", "UA02"))
            outcome = {"order_id": raw["id"], "outcome": "chargeback", "reason_code": code}
            events.append((later, "order_outcome", {"id": f"cb-{raw['id']}", **outcome}))
        elif not fraud and rng.random() < 0.03:
            later = at + timedelta(days=rng.uniform(1, 20))
            outcome = {"order_id": raw["id"], "outcome": "refund", "reason_code": "returned"}
            events.append((later, "order_outcome", {"id": f"rf-{raw['id']}", **outcome}))

    span = (end - start).total_seconds()
    while len(truth) < orders:
        at = start + timedelta(seconds=rng.uniform(0, span))
        c = rng.choice(people)
        roll = rng.random()
        if roll < 0.012:  # stolen card: new e-mail, fraud device, drop address, risky goods
            country = rng.choice(FRAUD_COUNTRIES)
            card = _card(rng, c.country, f"stolen-{seq}")
            add(
                at,
                order(
                    at,
                    c,
                    card=card,
                    eur=rng.uniform(250, 2500),
                    risky=0.9,
                    account_id=f"acct-new-{seq}",
                    email=f"buyer{seq}@{rng.choice(THROWAWAY + MAILS)}",
                    ip=_ip(rng),
                    ip_country=country,
                    device_id=rng.choice(fraud_devices),
                    shipping_address=rng.choice(drops),
                    account_created_at=(at - timedelta(minutes=rng.uniform(2, 90))).isoformat(),
                ),
                True,
            )
        elif roll < 0.016:  # card testing: tiny probes, some declined, then the real purchase
            card = _card(rng, c.country, f"tested-{seq}")
            device = rng.choice(fraud_devices)
            ip = _ip(rng)
            t = at
            for _ in range(rng.randint(2, 5)):
                probe = order(
                    t,
                    c,
                    card=card,
                    eur=rng.uniform(0.5, 4.5),
                    risky=0.5,
                    device_id=device,
                    ip=ip,
                    ip_country=rng.choice(FRAUD_COUNTRIES),
                    account_id=f"acct-probe-{seq}",
                )
                add(t, probe, True)
                if rng.random() < 0.5:
                    decline = {"order_id": probe["id"], "outcome": "authorization_declined"}
                    decline["reason_code"] = rng.choice(("stolen_card", "51", "05"))
                    events.append(
                        (t + timedelta(seconds=2), "order_outcome", {"id": f"dc-{probe['id']}"})
                    )
                    events[-1][2].update(decline)
                t += timedelta(seconds=rng.uniform(20, 400))
            big = order(
                t, c, card=card, eur=rng.uniform(300, 1800), risky=0.9, device_id=device, ip=ip
            )
            add(t, big, True)
        elif roll < 0.019:  # account takeover: the customer's card from a new device and address
            add(
                at,
                order(
                    at,
                    c,
                    card=rng.choice(c.cards),
                    eur=c.spend_eur * rng.uniform(4, 15),
                    risky=0.8,
                    device_id=f"ato-{seq}",
                    ip=_ip(rng),
                    ip_country=rng.choice(FRAUD_COUNTRIES),
                    shipping_address=rng.choice(drops),
                ),
                True,
            )
        else:
            eur = c.spend_eur * rng.lognormvariate(0, 0.5)
            extra: dict[str, Any] = {}
            if rng.random() < 0.05:  # travelling or a VPN
                extra = {"ip": _ip(rng), "ip_country": rng.choice(COUNTRIES)[0]}
            if rng.random() < 0.08:
                extra["payment"] = {"type": rng.choice(("wallet", "bnpl")), "wallet": "pay"}
            add(at, order(at, c, card=rng.choice(c.cards), eur=eur, **extra), False)
    events = [e for e in events if e[0] <= end]
    events.sort(key=lambda e: e[0])
    for at, _, raw in events:
        raw.setdefault("occurred_at", at.isoformat())
    return History([(kind, raw) for _, kind, raw in events], truth)


def parsed(history: History) -> list[Event]:
    return [parse_event(kind, raw) for kind, raw in history.events]


def train(history: History) -> tuple[FittedModel, Thresholds, dict[str, Any], list[Replayed]]:
    """Replay the history and fit the order model with the domain's default settings."""
    events = parsed(history)
    started = time.perf_counter()
    replayed = list(replay(events))
    replay_s = time.perf_counter() - started
    rows = np.asarray([r.features for r in replayed], dtype=np.float64)
    labels = np.asarray([history.fraud[r.event.id] for r in replayed], dtype=np.int_)
    started = time.perf_counter()
    fitted = fit(rows, labels, features=ORDER_FEATURES.names)
    fit_s = time.perf_counter() - started
    thresholds = Thresholds()  # 30 / 60 / 90 on the calibrated 0-100 score
    info = {
        "events": len(events),
        "orders": len(replayed),
        "replay_events_per_s": len(events) / replay_s,
        "fit_s": fit_s,
        "fraud_share": float(labels.mean()),
        **fitted.validation,
    }
    return fitted, thresholds, info, replayed


def install_model(rt: Runtime, fitted: FittedModel, thresholds: Thresholds) -> tuple[str, int]:
    with unit_of_work(rt.sessions) as session:
        record = models.register(
            session,
            name=MODEL,
            kind="order",
            fitted=fitted,
            metrics=fitted.validation,
            training={"source": "benchmarks/payments.py synthetic history"},
            thresholds=thresholds,
            actor="bench",
        )
        models.set_status(session, name=MODEL, version=record.version, status="live", actor="bench")
        return MODEL, record.version


@contextmanager
def runtime(kind: str) -> Iterator[tuple[Runtime, str, str | None]]:
    """A started runtime on a fresh store: yields (runtime, data dir, database URL)."""
    with tempfile.TemporaryDirectory() as scratch, store(kind) as url:
        settings = load_settings(data_dir=Path(scratch), database_url=url, counter_backend="sql")
        rt = Runtime.start(settings)
        try:
            yield rt, scratch, url
        finally:
            rt.close()


def live_model(rt: Runtime) -> models.RunningModel:
    with unit_of_work(rt.sessions) as session:
        return models.ACTIVE_MODELS.for_kind(session, "order")[0][0]


def in_process(
    kind: str,
    stream: list[tuple[str, dict[str, Any]]],
    warmup: int,
    fitted: FittedModel,
    thresholds: Thresholds,
    *,
    run_backtest: bool,
) -> dict[str, Any]:
    """Each event through ``ingest`` in time order; only orders after the warm-up are timed."""
    timings: list[float] = []
    decisions: dict[str, int] = {}
    explained = 0
    seen = 0
    result: dict[str, Any] = {}
    with runtime(kind) as (rt, _, _):
        install_model(rt, fitted, thresholds)
        for event_kind, raw in stream:
            seen += event_kind == "order"
            t0 = time.perf_counter()
            verdict = ingest(
                rt.sessions, kind=event_kind, raw=raw, actor="bench", counters=rt.counters
            )
            took = (time.perf_counter() - t0) * 1000
            if event_kind == "order" and seen > warmup:
                timings.append(took)
                decisions[verdict.decision.value] = decisions.get(verdict.decision.value, 0) + 1
                explained += any(s.source.startswith("model:") for s in verdict.signals)
        result = {**latency_summary(timings, sum(timings) / 1000)}
        result["decisions"] = decisions
        result["with_model"] = explained
        result["breakdown"] = breakdown(rt, stream, warmup)
        if run_backtest:
            result["backtest"] = run_pack_backtest(rt, stream)
    return result


def breakdown(
    rt: Runtime, stream: list[tuple[str, dict[str, Any]]], warmup: int
) -> dict[str, float]:
    """Mean cost of the pure-CPU parts of one order verdict, measured apart (ms)."""
    model = live_model(rt)
    sample = [raw for k, raw in stream if k == "order"][warmup : warmup + 1000]
    events = []
    t0 = time.perf_counter()
    for raw in sample:
        events.append(parse_event("order", raw))
    parse_ms = (time.perf_counter() - t0) * 1000 / len(sample)
    vectors = [r.features for r in replay(events)]
    rows = [np.asarray(v, dtype=np.float64) for v in vectors]
    t0 = time.perf_counter()
    for row in rows:
        model.fitted.probability(row.reshape(1, -1))
    predict_ms = (time.perf_counter() - t0) * 1000 / len(rows)
    t0 = time.perf_counter()
    for row in rows:
        model.fitted.explain(row)
    shap_ms = (time.perf_counter() - t0) * 1000 / len(rows)
    t0 = time.perf_counter()
    for vector in vectors:
        model.signal(vector, shadow=False).model_dump(mode="json")
    signal_ms = (time.perf_counter() - t0) * 1000 / len(rows)
    return {
        "parse_ms": parse_ms,
        "predict_ms": predict_ms,
        "shap_ms": shap_ms,
        "model_signal_ms": signal_ms,
    }


def run_pack_backtest(rt: Runtime, stream: list[tuple[str, dict[str, Any]]]) -> dict[str, float]:
    """``order-default@1`` back-tested on every stored order (reads events, verdicts, counters)."""
    times = [datetime.fromisoformat(raw["occurred_at"]) for _, raw in stream]
    with unit_of_work(rt.sessions) as session:
        record = get_record(session, "order-default", 1)
        assert record is not None
        pack = load_pack(record.source)
        t0 = time.perf_counter()
        report = backtest(
            session,
            pack=pack,
            since=min(times) - timedelta(seconds=1),
            until=max(times) + timedelta(seconds=1),
            counters=rt.counters(session),
        )
        took = time.perf_counter() - t0
    return {"events": report.events, "seconds": took, "events_per_s": report.events / took}


ORDER_LUA = """-- written by benchmarks/payments.py: POST distinct orders from a pool of customers
local counter = 0
local thread_id = 0
local threads = {}
local base = %(base)d
local currencies = {"EUR", "EUR", "GBP", "USD", "PLN", "SEK"}
local countries = {"DE", "FR", "GB", "US", "PL", "SE"}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(thread_id * 7919)
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("TG_KEY")
  wrk.headers["Content-Type"] = "application/json"
end

request = function()
  counter = counter + 1
  local at = os.date("!%%Y-%%m-%%dT%%H:%%M:%%SZ", base + counter * 5 + thread_id)
  local c = math.random(1, %(customers)d)
  local k = 1 + c %% 6
  local country = countries[k]
  local ipc = country
  local device = "dev-" .. c .. "-0"
  local card = "fp-" .. c .. "-0"
  local category = "books"
  if math.random() < 0.03 then
    ipc = "NG"; device = "fdev-" .. math.random(1, 60); card = "fp-stolen-" .. counter
    category = "electronics"
  end
  local amount = string.format("%%.2f", 5 + math.random() * 300)
  local address = string.format(
    '{"line1":"%%d Main St","city":"Town","postal_code":"%%05d","country":"%%s"}',
    c %% 300, c, country)
  local body = string.format(
    '{"id":"wrk-%%d-%%d","occurred_at":"%%s","account_id":"acct-%%d","email":"c%%d@example.com",'
    .. '"amount":"%%s","currency":"%%s",'
    .. '"items":[{"category":"%%s","quantity":1,"unit_price":"%%s"}],'
    .. '"payment":{"type":"card","card_bin":"411111","card_fingerprint":"%%s",'
    .. '"issuing_country":"%%s"},'
    .. '"billing_address":%%s,"shipping_address":%%s,"ip":"%%d.%%d.%%d.%%d","ip_country":"%%s",'
    .. '"device_id":"%%s","merchant_id":"m-%%d"}',
    thread_id, counter, at, c, c, amount, currencies[k], category, amount, card, country,
    address, address, math.random(11, 223), math.random(0, 255), math.random(0, 255),
    math.random(1, 254), ipc, device, math.random(0, 39))
  return wrk.format("POST", "/v1/events/order", nil, body)
end
"""


def over_http(
    kind: str,
    orders: list[dict[str, Any]],
    fitted: FittedModel,
    thresholds: Thresholds,
    *,
    workers: int,
    concurrency: int,
    seconds: int,
    customers: int,
    base_time: datetime,
) -> dict[str, float]:
    with runtime(kind) as (rt, scratch, url):
        install_model(rt, fitted, thresholds)
        rt.close()
        with served(server_env(scratch, url), workers) as (base, key):
            warm = len(orders) // 10
            post_all(base, key, "/v1/events/order", orders[:warm], concurrency)
            if shutil.which("wrk"):
                script = Path(scratch) / "order_post.lua"
                stamp = int(base_time.timestamp())
                script.write_text(ORDER_LUA % {"base": stamp, "customers": customers})
                return wrk(base, key, script, seconds, concurrency)
            return post_all(base, key, "/v1/events/order", orders[warm:], concurrency)


def bulk_store(
    rt: Runtime, rows: int, pool: list[tuple[dict[str, Any], list[float]]], chunk: int
) -> float:
    """``rows`` orders and their feature vectors, as screening stores them, by Core inserts."""
    events, vectors = core_table(EventRecord), core_table(FeatureVector)
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    for first in range(0, rows, chunk):
        batch_events, batch_vectors = [], []
        for pk in range(first + 1, min(rows, first + chunk) + 1):
            raw, vector = pool[pk % len(pool)]
            fields = {k: v for k, v in raw.items() if k not in ("id", "occurred_at")}
            batch_events.append(
                {
                    "id": pk,
                    "kind": "order",
                    "event_id": f"bulk-{pk}",
                    "occurred_at": datetime.fromisoformat(raw["occurred_at"]),
                    "received_at": now,
                    "payload": fields,
                    "payload_sha256": "0" * 64,
                    "entities": {"account": raw["account_id"], "merchant": raw["merchant_id"]},
                }
            )
            batch_vectors.append(
                {
                    "event_pk": pk,
                    "feature_set": ORDER_FEATURES.version,
                    "vector": pack(vector),
                }
            )
        with rt.engine.begin() as conn:
            conn.execute(events.insert(), batch_events)
            conn.execute(vectors.insert(), batch_vectors)
    return time.perf_counter() - t0


def batch_scoring(
    kind: str,
    rows: int,
    pool: list[tuple[dict[str, Any], list[float]]],
    fitted: FittedModel,
    thresholds: Thresholds,
    chunk: int,
) -> dict[str, float]:
    """Re-score every stored order through ``models.score_stored``, as ``model score`` does."""
    with runtime(kind) as (rt, _, _):
        name, version = install_model(rt, fitted, thresholds)
        insert_s = bulk_store(rt, rows, pool, 20_000)
        scored = flagged = 0
        started = time.perf_counter()
        with rt.sessions() as session:
            parts = models.score_stored(session, name=name, version=version, chunk=chunk)
            for ids, probability in parts:
                flagged += int((np.rint(probability * 100) >= thresholds.review).sum())
                scored += len(ids)
        total_s = time.perf_counter() - started
    return {
        "rows": scored,
        "insert_s": insert_s,
        "total_s": total_s,
        "rows_per_s": scored / total_s,
        "flagged": flagged,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", default="sqlite,postgres", help="in-process and HTTP")
    parser.add_argument("--batch-stores", default="sqlite", help="batch scoring stores")
    parser.add_argument("--train-orders", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=3_000, help="in-process orders")
    parser.add_argument("--http-orders", type=int, default=1_000, help="warm-up/fallback pool")
    parser.add_argument("--batch-rows", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=50_000, help="batch scoring chunk")
    parser.add_argument("--customers", type=int, default=3_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--workers", type=int, default=2, help="PostgreSQL workers")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=20, help="HTTP load duration (wrk)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args()
    figures: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, OMP_NUM_THREADS="
        f"{os.environ.get('OMP_NUM_THREADS', 'unset')}",
        "args": {k: str(v) for k, v in vars(args).items()},
    }
    print(f"machine: {figures['machine']}", flush=True)

    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    total = args.train_orders + args.orders
    t0 = time.perf_counter()
    history = generate(total, customers=args.customers, days=args.days, seed=args.seed, end=end)
    gen_s = time.perf_counter() - t0
    orders_seen, cut = 0, len(history.events)
    for i, (kind, _) in enumerate(history.events):
        orders_seen += kind == "order"
        if orders_seen > args.train_orders:
            cut = i
            break
    training = History(history.events[:cut], history.fraud)
    stream = history.events[cut:]
    fraud_share = sum(history.fraud.values()) / len(history.fraud)
    print(
        f"history: {len(history.events)} events ({len(history.fraud)} orders, "
        f"{fraud_share:.1%} fraud) from {args.customers} customers in {gen_s:.1f} s",
        flush=True,
    )

    t0 = time.perf_counter()
    events = parsed(training)
    parse_rate = len(events) / (time.perf_counter() - t0)
    fitted, thresholds, info, replayed = train(training)
    figures["training"] = {**info, "parse_events_per_s": parse_rate, "thresholds": dict(thresholds)}
    print(
        f"model: {info['orders']} orders replayed at {info['replay_events_per_s']:.0f} events/s "
        f"(parse {parse_rate:.0f}/s), fitted in {info['fit_s']:.1f} s, AUC "
        f"{info['auc_roc']:.3f}, AP {info['average_precision']:.3f}, thresholds {thresholds}",
        flush=True,
    )
    figures["replay_events_per_s"] = info["replay_events_per_s"]
    pool = [
        (
            {**r.event.fields, "id": r.event.id, "occurred_at": r.event.occurred_at.isoformat()},
            r.features,
        )
        for r in replayed
    ]

    rows: list[str] = []
    for kind in [s for s in args.stores.split(",") if s]:
        r = in_process(
            kind,
            stream,
            warmup=min(500, args.orders // 10),
            fitted=fitted,
            thresholds=thresholds,
            run_backtest=True,
        )
        figures[f"{kind}_in_process"] = r
        rows.append(
            f"| {kind} | in-process order verdict, 1 thread | {r['n']} | {r['p50_ms']:.2f} | "
            f"{r['p99_ms']:.2f} | {r['mean_ms']:.2f} | {r['verdicts_per_s']:.0f} verdicts/s |"
        )
        b = r["backtest"]
        rows.append(
            f"| {kind} | back-test order-default@1 | {b['events']} | | | | "
            f"{b['events_per_s']:.0f} events/s |"
        )
        print(
            rows[-2],
            rows[-1],
            f"  decisions {r['decisions']}, with model {r['with_model']}",
            f"  breakdown {r['breakdown']}",
            sep="\n",
            flush=True,
        )
        if args.skip_http:
            continue
        workers = 1 if kind == "sqlite" else args.workers
        h = over_http(
            kind,
            [raw for k, raw in stream if k == "order"][: args.http_orders],
            fitted,
            thresholds,
            workers=workers,
            concurrency=args.concurrency,
            seconds=args.seconds,
            customers=args.customers,
            base_time=end,
        )
        figures[f"{kind}_http"] = h
        rows.append(
            f"| {kind} | HTTP, {workers} worker(s), {args.concurrency} concurrent | {h['n']} | "
            f"{h['p50_ms']:.2f} | {h['p99_ms']:.2f} | | {h['verdicts_per_s']:.0f} verdicts/s |"
            + (f" ({h['failures']:.0f} failed)" if h["failures"] else "")
        )
        print(rows[-1], flush=True)
    for kind in [s for s in args.batch_stores.split(",") if s]:
        bs = batch_scoring(kind, args.batch_rows, pool, fitted, thresholds, args.chunk)
        figures[f"{kind}_batch"] = bs
        rows.append(
            f"| {kind} | batch scoring of stored vectors | {bs['rows']} | | | | "
            f"{bs['rows_per_s']:.0f} rows/s ({bs['total_s']:.1f} s) |"
        )
        print(rows[-1], f"  {bs}", sep="\n", flush=True)
    rows.append(
        f"| memory | offline replay (`engine.replay`) | {len(events)} | | | | "
        f"{figures['replay_events_per_s']:.0f} events/s |"
    )
    print("\n| store | part | n | p50 ms | p99 ms | mean ms | throughput |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()
