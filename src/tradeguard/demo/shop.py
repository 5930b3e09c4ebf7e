"""The demo shop's traffic: every domain's simulator, merged in time order.

Each source yields ``(kind, event, truth)``; a domain that lands adds its simulator here
(orders, mail, merchants...) and the demo screens it with the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from tradeguard.domains.accounts.simulate import simulate_logins


@dataclass(frozen=True, slots=True)
class DemoEvent:
    kind: str
    event: dict[str, object]
    truth: str  # "normal" or the attack's name
    country: str  # the customer's home country (the victim's, for an attack)

    @property
    def is_attack(self) -> bool:
        return self.truth != "normal"


Source = Callable[[int, int, int, datetime], Iterable[DemoEvent]]


def _logins(seed: int, customers: int, days: int, start: datetime) -> Iterable[DemoEvent]:
    for item in simulate_logins(seed=seed, customers=customers, days=days, start=start):
        yield DemoEvent("login", item.event, item.truth, item.country)


SOURCES: tuple[Source, ...] = (_logins,)


def traffic(*, seed: int, customers: int, days: int, start: datetime) -> list[DemoEvent]:
    """All sources' events, oldest first (counters see history in the order it happened)."""
    events = [e for source in SOURCES for e in source(seed, customers, days, start)]
    return sorted(events, key=lambda e: (str(e.event["occurred_at"]), e.kind, str(e.event["id"])))
