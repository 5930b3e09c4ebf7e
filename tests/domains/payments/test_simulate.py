"""The simulated orders: reproducible, valid, with each fraud pattern shaped as it is in life."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from functools import cache

from tradeguard.domains.accounts.simulate import LoginSimulator
from tradeguard.domains.payments.reference import is_disposable, is_fraud_chargeback, to_eur
from tradeguard.domains.payments.simulate import SimulatedOrder, simulate_orders
from tradeguard.engine.events import parse_event

START = datetime(2026, 9, 1, tzinfo=UTC)
LATER = START + timedelta(days=365)  # outcomes arrive weeks after the last order
PATTERNS = {"card_testing", "stolen_card", "triangulation", "account_takeover"}


@cache
def shop() -> tuple[SimulatedOrder, ...]:
    return tuple(simulate_orders(seed=7, customers=1500, days=30, start=START))


def orders(truth: str | None = None) -> list[SimulatedOrder]:
    return [s for s in shop() if s.kind == "order" and truth in (None, s.truth)]


def eur(item: SimulatedOrder) -> float:
    return to_eur(float(item.event["amount"]), item.event["currency"])


def test_same_seed_same_orders() -> None:
    again = list(simulate_orders(seed=7, customers=1500, days=30, start=START))
    other = list(simulate_orders(seed=8, customers=1500, days=30, start=START))
    assert [(s.kind, s.event, s.truth) for s in again] == [
        (s.kind, s.event, s.truth) for s in shop()
    ]
    assert [s.event for s in other] != [s.event for s in again]


def test_every_event_parses_and_comes_in_time_order() -> None:
    times = [datetime.fromisoformat(s.event["occurred_at"]) for s in shop()]
    assert times == sorted(times)
    for item in shop():
        parse_event(item.kind, item.event, now=LATER)
    assert len({(s.kind, s.event["id"]) for s in shop()}) == len(shop())


def test_fraud_is_a_few_percent_of_orders_and_every_pattern_is_there() -> None:
    truths = Counter(s.truth for s in orders())
    assert set(truths) == {"normal", *PATTERNS}
    fraud = sum(n for t, n in truths.items() if t != "normal")
    assert 0.01 <= fraud / len(orders()) <= 0.04


def test_customers_shop_at_home_in_their_own_currency_and_countries() -> None:
    normal = orders("normal")
    assert len({s.country for s in normal}) >= 25
    at_home = [s for s in normal if s.event["payment"]["issuing_country"] == s.country]
    assert len(at_home) == len(normal)
    shipped_home = [s for s in normal if s.event["shipping_address"]["country"] == s.country]
    assert len(shipped_home) / len(normal) > 0.9
    assert len({s.event["currency"] for s in normal}) >= 15
    assert not any(is_disposable(s.event["email"].rpartition("@")[2]) for s in normal)


def test_homes_match_the_login_simulator() -> None:
    logins = LoginSimulator(seed=7, customers=1500, days=1, start=START)
    for item in orders("normal")[:300]:
        assert logins.home[int(item.event["account_id"].split("-")[1])] == item.country


def test_card_testing_is_tiny_orders_on_many_cards_from_one_device_mostly_declined() -> None:
    tests = orders("card_testing")
    by_device = defaultdict(set)
    for item in tests:
        assert eur(item) < 5
        by_device[item.event["device_id"]].add(item.event["payment"]["card_fingerprint"])
    assert all(len(cards) >= 10 for cards in by_device.values())
    declined = outcomes_of(tests, "authorization_declined")
    assert len(declined) / len(tests) > 0.5


def test_stolen_cards_buy_big_with_card_ip_and_parcel_in_three_countries() -> None:
    for item in orders("stolen_card"):
        card = item.event["payment"]["issuing_country"]
        ip, ship = item.event["ip_country"], item.event["shipping_address"]["country"]
        assert len({card, ip, ship}) == 3
        assert item.event["billing_address"]["country"] == card  # the cardholder's, from the leak
        assert eur(item) >= 300
        assert {i["category"] for i in item.event["items"]} <= {
            "electronics", "phones", "gift_cards", "computers", "gaming", "watches"
        }  # fmt: skip
    emails = [s.event["email"].rpartition("@")[2] for s in orders() if s.truth != "normal"]
    assert any(is_disposable(domain) for domain in emails)


def test_triangulation_ships_many_cards_to_one_address() -> None:
    by_address = defaultdict(set)
    for item in orders("triangulation"):
        address = item.event["shipping_address"]
        by_address[address["line1"], address["postal_code"]].add(
            item.event["payment"]["card_fingerprint"]
        )
    assert by_address
    assert all(len(cards) >= 5 for cards in by_address.values())


def test_account_takeover_is_a_known_account_on_a_new_device_shipping_elsewhere() -> None:
    history = defaultdict(list)
    for item in orders("normal"):
        history[item.event["account_id"]].append(item.event)
    for item in orders("account_takeover"):
        own = history[item.event["account_id"]]
        assert item.event["device_id"] not in {o["device_id"] for o in own}
        assert item.event["shipping_address"]["country"] != item.country
        assert eur(item) >= 500
        assert item.event["account_created_at"] < item.event["occurred_at"]


def outcomes_of(items: list[SimulatedOrder], outcome: str) -> list[SimulatedOrder]:
    ids = {s.event["id"] for s in items}
    return [
        s
        for s in shop()
        if s.kind == "order_outcome"
        and s.event["order_id"] in ids
        and s.event["outcome"] == outcome
    ]


def test_outcomes_follow_their_orders_and_chargebacks_come_weeks_later() -> None:
    placed = {s.event["id"]: s for s in orders()}
    late = 0
    for item in shop():
        if item.kind != "order_outcome":
            continue
        order = placed[item.event["order_id"]]
        assert item.truth == order.truth
        delay = datetime.fromisoformat(item.event["occurred_at"]) - datetime.fromisoformat(
            order.event["occurred_at"]
        )
        assert delay > timedelta(0)
        if item.event["outcome"] == "chargeback":
            assert timedelta(days=7) <= delay <= timedelta(days=40)
            fraud = is_fraud_chargeback(item.event["reason_code"])
            assert fraud == (item.truth != "normal")
            late += fraud
        if item.event["outcome"] == "authorization_declined":
            assert delay < timedelta(minutes=1)
    assert late >= 20
    kinds = Counter(s.event["outcome"] for s in shop() if s.kind == "order_outcome")
    assert set(kinds) == {"authorization_declined", "chargeback", "refund", "confirmed_legitimate"}
