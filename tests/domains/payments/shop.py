"""A small, seeded order history with fraud and late chargebacks, for model tests."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from tests.factories import T0, order, outcome

Event = tuple[str, dict[str, Any]]


def history(*, seed: int = 7, days: int = 60, customers: int = 60) -> list[Event]:
    """About 1,000 orders, ~11 % stolen-card fraud, chargebacks 10-20 days after the fraud."""
    rng = random.Random(seed)
    events: list[Event] = []
    countries = ["DE", "FR", "US", "GB", "CN", "JP", "BR", "IN"]
    for day in range(days):
        for c in rng.sample(range(customers), 15):
            home = countries[c % len(countries)]
            at = T0 + timedelta(days=day, minutes=rng.randint(0, 1439))
            events.append(
                (
                    "order",
                    order(
                        card=f"card-{c}",
                        account=f"acct-{c}",
                        email=f"c{c}@example.com",
                        device=f"dev-{c}",
                        amount=f"{rng.uniform(10, 120):.2f}",
                        card_country=home,
                        ip_country=home,
                        ship_country=home,
                        ship_to=f"{c} Home Road",
                        at=at,
                        event_id=f"o-{day}-{c}",
                    ),
                )
            )
        for n in range(2):
            at = T0 + timedelta(days=day, minutes=rng.randint(0, 1439))
            fraud_id = f"f-{day}-{n}"
            events.append(
                (
                    "order",
                    order(
                        card=f"stolen-{day}-{n}",
                        account=f"new-{day}-{n}",
                        email=f"x{day}{n}@mailinator.com",
                        device=f"bot-{day % 5}",
                        amount=f"{rng.uniform(400, 1500):.2f}",
                        card_country="US",
                        ip_country="RU",
                        ship_country="NG",
                        ship_to=f"Drop {day % 4}",
                        at=at,
                        event_id=fraud_id,
                    ),
                )
            )
            late = at + timedelta(days=rng.randint(10, 20))
            events.append(("order_outcome", outcome(fraud_id, at=late, event_id=f"cb-{fraud_id}")))
    return sorted(events, key=lambda e: (e[1]["occurred_at"], e[1]["id"]))
