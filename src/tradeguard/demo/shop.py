"""The demo shop's traffic: every domain's simulator, merged in time order.

Each source yields ``(kind, event, truth)``; a domain that lands adds its simulator here
(orders, mail, merchants...) and the demo screens it with the rest.

Orders reach further back than the window shown (``ORDER_HISTORY_DAYS``): chargebacks arrive
weeks after the order, and the demo trains its order model on labels that have arrived.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tradeguard.demo.merchants import simulate_merchants
from tradeguard.domains.accounts.simulate import simulate_logins
from tradeguard.domains.accounts.simulate_signups import simulate_signups
from tradeguard.domains.mail.simulate import simulate_mail
from tradeguard.domains.payments.simulate import simulate_orders

ORDER_HISTORY_DAYS = 60  # room for a training window whose chargebacks (7-40 days late) arrived
NEW_CUSTOMER_SHARE = 0.2  # sign-ups in the window, as a share of the existing customers
STORE_DOMAIN = "shop.example"
MESSAGES_PER_CUSTOMER = 0.1  # inbound mail in the window, per customer
MIN_MESSAGES = 50  # enough for every attack scenario to appear at least once


@dataclass(frozen=True, slots=True)
class DemoEvent:
    kind: str
    event: dict[str, object]
    truth: str  # "normal" or the attack's name
    country: str  # the customer's home country (the victim's, for an attack); "" for mail
    raw: bytes = b""  # the message as received, for kinds screened from raw bytes (email)

    @property
    def is_attack(self) -> bool:
        return self.truth != "normal"


Source = Callable[[int, int, int, datetime], Iterable[DemoEvent]]


def _logins(seed: int, customers: int, days: int, start: datetime) -> Iterable[DemoEvent]:
    for item in simulate_logins(seed=seed, customers=customers, days=days, start=start):
        yield DemoEvent("login", item.event, item.truth, item.country)


def _signups(seed: int, customers: int, days: int, start: datetime) -> Iterable[DemoEvent]:
    """New customers signing up during the window, with fake-account farms and rings."""
    newcomers = max(10, int(customers * NEW_CUSTOMER_SHARE))
    for item in simulate_signups(seed=seed, customers=newcomers, days=days, start=start):
        yield DemoEvent("signup", item.event, item.truth, item.country)


def order_history_start(days: int, start: datetime) -> datetime:
    """Where the order history begins: ``ORDER_HISTORY_DAYS`` (or the window) before its end."""
    return start + timedelta(days=days) - timedelta(days=max(days, ORDER_HISTORY_DAYS))


def _orders(seed: int, customers: int, days: int, start: datetime) -> Iterable[DemoEvent]:
    """Orders of the longer history; outcomes after the window's end are not known yet."""
    first, end = order_history_start(days, start), start + timedelta(days=days)
    history = (end - first).days
    for item in simulate_orders(seed=seed, customers=customers, days=history, start=first):
        if datetime.fromisoformat(item.event["occurred_at"]) < end:
            yield DemoEvent(item.kind, item.event, item.truth, item.country)


def _mail(seed: int, customers: int, days: int, start: datetime) -> Iterable[DemoEvent]:
    """The store's inbox: marketplace, supplier and customer mail with phishing and fraud in it.

    The event id is the one the mail API gives a message sent without one (its digest), so the
    demo and a mail server feeding the same bytes agree on it.
    """
    messages = max(MIN_MESSAGES, int(customers * MESSAGES_PER_CUSTOMER))
    for item in simulate_mail(
        seed=seed, messages=messages, start=start, days=days, store_domain=STORE_DOMAIN
    ):
        event: dict[str, object] = {
            "id": f"mail-{hashlib.sha256(item.raw).hexdigest()[:40]}",
            "occurred_at": item.received_at.isoformat(),
        }
        yield DemoEvent("email", event, item.truth, "", raw=item.raw)


def _merchants(seed: int, customers: int, days: int, start: datetime) -> Iterable[DemoEvent]:
    """Sellers applying to the marketplace (their number does not grow with the customers)."""
    for item in simulate_merchants(seed=seed, days=days, start=start):
        yield DemoEvent("merchant", item.event, item.truth, item.country)


SOURCES: tuple[Source, ...] = (_logins, _signups, _orders, _mail, _merchants)


def traffic(*, seed: int, customers: int, days: int, start: datetime) -> list[DemoEvent]:
    """All sources' events, oldest first (counters see history in the order it happened)."""
    events = [e for source in SOURCES for e in source(seed, customers, days, start)]
    return sorted(events, key=lambda e: (str(e.event["occurred_at"]), e.kind, str(e.event["id"])))
