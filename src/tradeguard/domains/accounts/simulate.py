"""Deterministic login traffic with attacks mixed in, for demos, examples and benchmarks.

Customers log in from their own devices and home networks, now and then mistype a password;
attackers brute-force one account, spray one password across many accounts from one IP,
replay a leaked credential list from one device, and take over accounts after failures.
Each event carries its truth in ``truth`` (kept out of the event itself).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Version/18.1 Safari",
    "Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari",
)
BOT_AGENT = "python-requests/2.32.3"


@dataclass(frozen=True, slots=True)
class SimulatedLogin:
    event: dict[str, Any]
    truth: str  # "normal" or the attack's name


class LoginSimulator:
    def __init__(self, *, seed: int, customers: int, days: int, start: datetime) -> None:
        self.rng = random.Random(seed)  # noqa: S311 (reproducible traffic, not secrets)
        self.customers = customers
        self.days = days
        self.start = start
        self._n = 0

    def _event(
        self, at: datetime, account: str, ip: str, device: str | None, agent: str, success: bool
    ) -> dict[str, Any]:
        self._n += 1
        event: dict[str, Any] = {
            "id": f"lg-{self._n:07d}",
            "occurred_at": at.isoformat(),
            "account_id": account,
            "ip": ip,
            "user_agent": agent,
            "success": success,
        }
        if device:
            event["device_id"] = device
        return event

    def _ip(self) -> str:
        r = self.rng
        return (
            f"{r.choice((24, 31, 45, 62, 81, 94, 101, 117, 142, 175, 189))}.{r.randrange(256)}"
            f".{r.randrange(256)}.{r.randrange(1, 255)}"
        )

    def _moment(self) -> datetime:
        return self.start + timedelta(seconds=self.rng.uniform(0, self.days * 86400))

    def normal(self) -> Iterator[SimulatedLogin]:
        r = self.rng
        for c in range(self.customers):
            account = f"cust-{c:05d}"
            devices = [f"dev-{c:05d}-{d}" for d in range(r.choice((1, 1, 2, 3)))]
            homes = [self._ip() for _ in range(r.choice((1, 2)))]
            agent = r.choice(BROWSERS)
            for _ in range(r.randint(1, 8)):
                at, ip, device = self._moment(), r.choice(homes), r.choice(devices)
                if r.random() < 0.08:  # a mistyped password, then the right one
                    for k in range(r.choice((1, 1, 2))):
                        yield SimulatedLogin(
                            self._event(
                                at + timedelta(seconds=k * 9), account, ip, device, agent, False
                            ),
                            "normal",
                        )
                    at += timedelta(seconds=25)
                yield SimulatedLogin(self._event(at, account, ip, device, agent, True), "normal")

    def brute_force(self, victims: int) -> Iterator[SimulatedLogin]:
        for _ in range(victims):
            account = f"cust-{self.rng.randrange(self.customers):05d}"
            at, ips = self._moment(), [self._ip() for _ in range(3)]
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
                )

    def spraying(self, waves: int) -> Iterator[SimulatedLogin]:
        for _ in range(waves):
            ip, at = self._ip(), self._moment()
            for k in range(self.rng.randint(15, 40)):
                account = f"cust-{self.rng.randrange(self.customers):05d}"
                yield SimulatedLogin(
                    self._event(
                        at + timedelta(seconds=k * 40), account, ip, None, BOT_AGENT, False
                    ),
                    "password_spraying",
                )

    def stuffing(self, runs: int) -> Iterator[SimulatedLogin]:
        for run in range(runs):
            device, at = f"stuffer-{run}", self._moment()
            for k in range(self.rng.randint(10, 25)):
                account = f"cust-{self.rng.randrange(self.customers):05d}"
                yield SimulatedLogin(
                    self._event(
                        at + timedelta(seconds=k * 20),
                        account,
                        self._ip(),
                        device,
                        BOT_AGENT,
                        False,
                    ),
                    "credential_stuffing",
                )

    def takeover(self, victims: int) -> Iterator[SimulatedLogin]:
        for v in range(victims):
            account = f"cust-{self.rng.randrange(self.customers):05d}"
            at, device = self._moment(), f"ato-{v}"
            for k in range(self.rng.randint(3, 6)):
                yield SimulatedLogin(
                    self._event(
                        at + timedelta(seconds=k * 30),
                        account,
                        self._ip(),
                        device,
                        BROWSERS[0],
                        False,
                    ),
                    "account_takeover",
                )
            yield SimulatedLogin(
                self._event(
                    at + timedelta(minutes=4), account, self._ip(), device, BROWSERS[0], True
                ),
                "account_takeover",
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
