"""Deterministic login traffic with attacks mixed in, for demos, examples and benchmarks.

Customers of a cross-border shop live in many countries and log in from their own devices
and home networks there, now and then mistype a password, and sometimes travel; attackers,
from hosting networks in other countries, brute-force one account, spray one password across
many accounts from one IP, replay a leaked credential list from one device, and take over
accounts after failures. Each event carries its truth in ``truth`` (kept out of the event).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tradeguard.domains.world import ATTACK_ORIGINS, CUSTOMER_COUNTRIES

BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Version/18.1 Safari",
    "Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari",
)
BOT_AGENT = "python-requests/2.32.3"
TRAVEL_SHARE = 0.02  # of a customer's logins made from abroad


@dataclass(frozen=True, slots=True)
class SimulatedLogin:
    event: dict[str, Any]
    truth: str  # "normal" or the attack's name
    country: str  # the customer's home country (the victim's, for an attack)


class LoginSimulator:
    def __init__(self, *, seed: int, customers: int, days: int, start: datetime) -> None:
        self.rng = random.Random(seed)  # noqa: S311 (reproducible traffic, not secrets)
        self.customers = customers
        self.days = days
        self.start = start
        self._n = 0
        # Homes come from their own stream, so they do not shift when traffic shapes change.
        homes = random.Random(f"{seed}:homes")  # noqa: S311
        names, weights = list(CUSTOMER_COUNTRIES), [w for w, _ in CUSTOMER_COUNTRIES.values()]
        self.home = homes.choices(names, weights=weights, k=customers)

    def _event(
        self,
        at: datetime,
        account: str,
        where: tuple[str, str],
        device: str | None,
        agent: str,
        success: bool,
    ) -> dict[str, Any]:
        self._n += 1
        ip, country = where
        event: dict[str, Any] = {
            "id": f"lg-{self._n:07d}",
            "occurred_at": at.isoformat(),
            "account_id": account,
            "ip": ip,
            "ip_country": country,
            "user_agent": agent,
            "success": success,
        }
        if device:
            event["device_id"] = device
        return event

    def _address(self, octets: tuple[int, ...]) -> str:
        r = self.rng
        return f"{r.choice(octets)}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"

    def _ip(self, country: str) -> tuple[str, str]:
        return self._address(CUSTOMER_COUNTRIES[country][1]), country

    def _attack_ip(self, *victim_countries: str) -> tuple[str, str]:
        origin = self.rng.choice([c for c in ATTACK_ORIGINS if c not in victim_countries])
        return self._address(ATTACK_ORIGINS[origin]), origin

    def _victim(self) -> tuple[str, str]:
        c = self.rng.randrange(self.customers)
        return f"cust-{c:05d}", self.home[c]

    def _moment(self) -> datetime:
        return self.start + timedelta(seconds=self.rng.uniform(0, self.days * 86400))

    def normal(self) -> Iterator[SimulatedLogin]:
        r = self.rng
        abroad = list(CUSTOMER_COUNTRIES)
        for c in range(self.customers):
            account, country = f"cust-{c:05d}", self.home[c]
            devices = [f"dev-{c:05d}-{d}" for d in range(r.choice((1, 1, 2, 3)))]
            homes = [self._ip(country) for _ in range(r.choice((1, 2)))]
            agent = r.choice(BROWSERS)
            for _ in range(r.randint(1, 8)):
                at, where, device = self._moment(), r.choice(homes), r.choice(devices)
                if r.random() < TRAVEL_SHARE:  # on a trip: a hotel or mobile network abroad
                    where = self._ip(r.choice([a for a in abroad if a != country]))
                if r.random() < 0.08:  # a mistyped password, then the right one
                    for k in range(r.choice((1, 1, 2))):
                        yield SimulatedLogin(
                            self._event(
                                at + timedelta(seconds=k * 9), account, where, device, agent, False
                            ),
                            "normal",
                            country,
                        )
                    at += timedelta(seconds=25)
                yield SimulatedLogin(
                    self._event(at, account, where, device, agent, True), "normal", country
                )

    def brute_force(self, victims: int) -> Iterator[SimulatedLogin]:
        for _ in range(victims):
            account, country = self._victim()
            at, ips = self._moment(), [self._attack_ip(country) for _ in range(3)]
            for k in range(self.rng.randint(25, 40)):
                yield SimulatedLogin(
                    self._event(
                        at + timedelta(seconds=k * 7),
                        account,
                        self.rng.choice(ips),
                        None,
                        BOT_AGENT,
                        False,
                    ),
                    "brute_force",
                    country,
                )

    def spraying(self, waves: int) -> Iterator[SimulatedLogin]:
        for _ in range(waves):
            at = self._moment()
            targets = [self._victim() for _ in range(self.rng.randint(15, 40))]
            # One IP for the whole wave, from a country none of its targets lives in.
            origin = self._attack_ip(*{country for _, country in targets})
            for k, (account, country) in enumerate(targets):
                yield SimulatedLogin(
                    self._event(
                        at + timedelta(seconds=k * 40), account, origin, None, BOT_AGENT, False
                    ),
                    "password_spraying",
                    country,
                )

    def stuffing(self, runs: int) -> Iterator[SimulatedLogin]:
        for run in range(runs):
            device, at = f"stuffer-{run}", self._moment()
            for k in range(self.rng.randint(10, 25)):
                account, country = self._victim()
                yield SimulatedLogin(
                    self._event(
                        at + timedelta(seconds=k * 20),
                        account,
                        self._attack_ip(country),
                        device,
                        BOT_AGENT,
                        False,
                    ),
                    "credential_stuffing",
                    country,
                )

    def takeover(self, victims: int) -> Iterator[SimulatedLogin]:
        for v in range(victims):
            account, country = self._victim()
            at, device = self._moment(), f"ato-{v}"
            for k in range(self.rng.randint(3, 6)):
                yield SimulatedLogin(
                    self._event(
                        at + timedelta(seconds=k * 30),
                        account,
                        self._attack_ip(country),
                        device,
                        BROWSERS[0],
                        False,
                    ),
                    "account_takeover",
                    country,
                )
            yield SimulatedLogin(
                self._event(
                    at + timedelta(minutes=4),
                    account,
                    self._attack_ip(country),
                    device,
                    BROWSERS[0],
                    True,
                ),
                "account_takeover",
                country,
            )


def simulate_logins(
    *,
    seed: int = 7,
    customers: int = 1000,
    days: int = 14,
    start: datetime = datetime(2026, 11, 1, tzinfo=UTC),
) -> list[SimulatedLogin]:
    """All traffic in time order; attack volumes scale with the number of customers."""
    sim = LoginSimulator(seed=seed, customers=customers, days=days, start=start)
    scale = max(1, customers // 250)
    traffic = [
        *sim.normal(),
        *sim.brute_force(scale),
        *sim.spraying(scale),
        *sim.stuffing(scale),
        *sim.takeover(scale * 2),
    ]
    return sorted(
        traffic, key=lambda s: (datetime.fromisoformat(s.event["occurred_at"]), s.event["id"])
    )
