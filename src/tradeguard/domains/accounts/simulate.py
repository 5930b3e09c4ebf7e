"""Deterministic login traffic with attacks mixed in, for demos, evaluations and benchmarks.

Customers of a cross-border shop live in many countries, log in from their own devices and
home networks at their own usual hours, now and then mistype a password or their e-mail,
buy a new phone, and go on trips (abroad for days, reached no faster than an aeroplane).
Attackers:

- brute force: one account, dozens of guesses from a few hosting IPs;
- password spraying: one IP, one common password across many accounts, fast;
- low-and-slow spraying: one network (/24), a new address and a new account every few
  minutes for a day or more, with the occasional hit;
- credential stuffing from one device replaying a leaked list;
- distributed credential stuffing: a wave from residential proxies in the victims' own
  countries, a real browser's user agent, no device id, half the list's accounts unknown
  to the store, a few per cent of the pairs still valid;
- account takeover after failures (guessing, then success from a new device and IP);
- account takeover with a phished password: first try, new device, the attacker's country.

Each event's truth is kept beside it (``truth``), never inside the event.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tradeguard.domains.world import ATTACK_ORIGINS, CUSTOMER_COUNTRIES, in_window

BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Version/18.1 Safari",
    "Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari",
)
BOT_AGENT = "python-requests/2.32.3"
# A stuffing tool's spoofed browser: real-looking, and the same on every request.
STUFFER_AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0"
TRIP_SHARE = 0.06  # of customers who travel abroad during the window
NEW_PHONE_SHARE = 0.04  # of customers who start using a new device during the window
TYPO_SHARE = 0.08  # of logins preceded by a mistyped password
WRONG_EMAIL_SHARE = 0.01  # of logins preceded by a mistyped e-mail (an unknown account)
HABIT_SPREAD_HOURS = 2.0  # how far a customer's logins stray from their usual hour
STAFF_SHARE = 0.01
SELLER_SHARE = 0.05


@dataclass(frozen=True, slots=True)
class SimulatedLogin:
    event: dict[str, Any]
    truth: str  # "normal" or the attack's name
    country: str  # the customer's home country (the victim's, for an attack)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One login attempt before it becomes an event."""

    at: datetime
    account: str
    where: tuple[str, str]  # (ip, country)
    device: str | None
    agent: str
    success: bool
    failure: str | None = None  # failure_reason when not a success


@dataclass(frozen=True, slots=True)
class Trip:
    country: str
    leaves: datetime
    returns: datetime


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
        kinds = random.Random(f"{seed}:account-types")  # noqa: S311
        self.account_type = [_account_type(kinds.random()) for _ in range(customers)]

    # -- building blocks ------------------------------------------------------------------

    def _event(self, attempt: Attempt) -> dict[str, Any]:
        self._n += 1
        ip, country = attempt.where
        event: dict[str, Any] = {
            "id": f"lg-{self._n:07d}",
            "occurred_at": attempt.at.isoformat(),
            "account_id": attempt.account,
            "ip": ip,
            "ip_country": country,
            "user_agent": attempt.agent,
            "success": attempt.success,
        }
        if attempt.account.startswith("cust-"):
            event["account_type"] = self.account_type[int(attempt.account[5:])]
        if attempt.device:
            event["device_id"] = attempt.device
        if not attempt.success:
            event["failure_reason"] = attempt.failure or "wrong_password"
        return event

    def _login(self, attempt: Attempt, truth: str, country: str) -> SimulatedLogin:
        return SimulatedLogin(self._event(attempt), truth, country)

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

    def _habitual_moment(self, hour: float) -> datetime:
        """A moment on a random day, near this customer's usual hour (UTC)."""
        day = self.rng.randrange(self.days)
        drift = self.rng.gauss(0, HABIT_SPREAD_HOURS)
        at = self.start + timedelta(days=day, hours=(hour + drift) % 24)
        return min(at, self.start + timedelta(days=self.days) - timedelta(seconds=1))

    # -- customers ------------------------------------------------------------------------

    def normal(self) -> Iterator[SimulatedLogin]:
        for c in range(self.customers):
            yield from self._customer(c)

    def _customer(self, c: int) -> Iterator[SimulatedLogin]:
        r = self.rng
        account, country = f"cust-{c:05d}", self.home[c]
        devices = [f"dev-{c:05d}-{d}" for d in range(r.choice((1, 1, 2, 3)))]
        homes = [self._ip(country) for _ in range(r.choice((1, 2)))]
        agent, hour = r.choice(BROWSERS), r.uniform(0, 24)
        trip = self._trip(country) if r.random() < TRIP_SHARE else None
        new_phone = self._moment() if r.random() < NEW_PHONE_SHARE else None
        moments = sorted(self._habitual_moment(hour) for _ in range(r.randint(2, 12)))
        if trip:  # a traveller logs in during the trip, and not on the days of the flights
            moments = [m for m in moments if not trip.leaves - timedelta(days=1) < m < trip.leaves]
            moments = [
                m for m in moments if not trip.returns < m < trip.returns + timedelta(days=1)
            ]
            moments += [self._during(trip, hour) for _ in range(r.randint(1, 3))]
        for at in sorted(moments):
            abroad = trip is not None and trip.leaves <= at <= trip.returns
            where = self._ip(trip.country) if trip and abroad else r.choice(homes)
            device = r.choice(devices)
            if new_phone and at >= new_phone:
                device = f"dev-{c:05d}-new"
            yield from self._session(Attempt(at, account, where, device, agent, True), country)

    def _session(self, login: Attempt, country: str) -> Iterator[SimulatedLogin]:
        """A customer's login, sometimes after a mistyped password or e-mail."""
        r, at = self.rng, login.at
        if r.random() < WRONG_EMAIL_SHARE:
            typo = replace(login, account=f"typo-{login.account}", success=False)
            yield self._login(replace(typo, failure="unknown_account"), "normal", country)
            at += timedelta(seconds=20)
        if r.random() < TYPO_SHARE:
            for k in range(r.choice((1, 1, 2))):
                miss = Attempt(
                    at + timedelta(seconds=k * 9),
                    login.account,
                    login.where,
                    login.device,
                    login.agent,
                    False,
                )
                yield self._login(miss, "normal", country)
            at += timedelta(seconds=25)
        yield self._login(
            Attempt(at, login.account, login.where, login.device, login.agent, True),
            "normal",
            country,
        )

    def _trip(self, home: str) -> Trip:
        r = self.rng
        destination = r.choice([c for c in CUSTOMER_COUNTRIES if c != home])
        leaves = self._moment()
        return Trip(destination, leaves, leaves + timedelta(days=r.uniform(2, 10)))

    def _during(self, trip: Trip, hour: float) -> datetime:
        span = (trip.returns - trip.leaves).total_seconds()
        at = trip.leaves + timedelta(seconds=self.rng.uniform(0, span))
        # Back near the usual hour, give or take the time-zone change.
        at = at.replace(hour=int((hour + self.rng.gauss(0, 3)) % 24))
        return min(max(at, trip.leaves), trip.returns)

    # -- attacks --------------------------------------------------------------------------

    def brute_force(self, victims: int) -> Iterator[SimulatedLogin]:
        for _ in range(victims):
            account, country = self._victim()
            at, ips = self._moment(), [self._attack_ip(country) for _ in range(3)]
            for k in range(self.rng.randint(25, 40)):
                guess = Attempt(
                    at + timedelta(seconds=k * 7),
                    account,
                    self.rng.choice(ips),
                    None,
                    BOT_AGENT,
                    False,
                )
                yield self._login(guess, "brute_force", country)

    def spraying(self, waves: int) -> Iterator[SimulatedLogin]:
        for _ in range(waves):
            at = self._moment()
            targets = [self._victim() for _ in range(self.rng.randint(15, 40))]
            # One IP for the whole wave, from a country none of its targets lives in.
            origin = self._attack_ip(*{country for _, country in targets})
            for k, (account, country) in enumerate(targets):
                spray = Attempt(
                    at + timedelta(seconds=k * 40), account, origin, None, BOT_AGENT, False
                )
                yield self._login(spray, "password_spraying", country)

    def slow_spraying(self, campaigns: int) -> Iterator[SimulatedLogin]:
        """A new address of one /24 and a new account every 5-40 minutes, for a day or two."""
        r = self.rng
        for _ in range(campaigns):
            network, origin = self._attack_ip()
            prefix = network.rsplit(".", 1)[0]
            at = self._moment()
            for _ in range(r.randint(40, 80)):
                account, country = self._victim()
                hit = r.random() < 0.03  # the sprayed password is someone's password
                where = (f"{prefix}.{r.randrange(1, 255)}", origin)
                attempt = Attempt(at, account, where, None, r.choice(BROWSERS), hit)
                yield self._login(attempt, "low_and_slow_spraying", country)
                at += timedelta(minutes=r.uniform(5, 40))

    def stuffing(self, runs: int) -> Iterator[SimulatedLogin]:
        for run in range(runs):
            device, at = f"stuffer-{run}", self._moment()
            for k in range(self.rng.randint(10, 25)):
                account, country = self._victim()
                replay = Attempt(
                    at + timedelta(seconds=k * 20),
                    account,
                    self._attack_ip(country),
                    device,
                    BOT_AGENT,
                    False,
                )
                yield self._login(replay, "credential_stuffing", country)

    def distributed_stuffing(self, waves: int, size: int) -> Iterator[SimulatedLogin]:
        """Residential proxies in the victims' own countries: no source repeats itself."""
        r = self.rng
        for wave in range(waves):
            at = self._moment()
            for k in range(size):
                known = r.random() < 0.5
                if known:
                    account, country = self._victim()
                else:  # a pair from another site's leak: no such account here
                    account, country = f"leak-{wave}-{k}", r.choice(list(CUSTOMER_COUNTRIES))
                valid = known and r.random() < 0.04
                attempt = Attempt(
                    at + timedelta(seconds=k * r.uniform(1, 4)),
                    account,
                    self._ip(country),
                    None,
                    STUFFER_AGENT,
                    valid,
                    None if known else "unknown_account",
                )
                yield self._login(attempt, "credential_stuffing_residential", country)

    def takeover(self, victims: int) -> Iterator[SimulatedLogin]:
        for v in range(victims):
            account, country = self._victim()
            at, device = self._moment(), f"ato-{v}"
            for k in range(self.rng.randint(3, 6)):
                guess = Attempt(
                    at + timedelta(seconds=k * 30),
                    account,
                    self._attack_ip(country),
                    device,
                    BROWSERS[0],
                    False,
                )
                yield self._login(guess, "account_takeover", country)
            win = Attempt(
                at + timedelta(minutes=4),
                account,
                self._attack_ip(country),
                device,
                BROWSERS[0],
                True,
            )
            yield self._login(win, "account_takeover", country)

    def phished_takeover(self, victims: int) -> Iterator[SimulatedLogin]:
        """The right password at the first try, from the attacker's device and country."""
        for v in range(victims):
            account, country = self._victim()
            attempt = Attempt(
                self._moment(),
                account,
                self._attack_ip(country),
                f"phish-{v}",
                self.rng.choice(BROWSERS),
                True,
            )
            yield self._login(attempt, "phished_takeover", country)


def _account_type(draw: float) -> str:
    if draw < STAFF_SHARE:
        return "staff"
    return "seller" if draw < STAFF_SHARE + SELLER_SHARE else "buyer"


def simulate_logins(
    *,
    seed: int = 7,
    customers: int = 1000,
    days: int = 14,
    start: datetime = datetime(2026, 11, 1, tzinfo=UTC),
) -> list[SimulatedLogin]:
    """All traffic in the window, in time order; attack volumes scale with the customers."""
    sim = LoginSimulator(seed=seed, customers=customers, days=days, start=start)
    scale = max(1, customers // 250)
    traffic = [
        *sim.normal(),
        *sim.brute_force(scale),
        *sim.spraying(scale),
        *sim.slow_spraying(max(1, scale // 2)),
        *sim.stuffing(scale),
        *sim.distributed_stuffing(max(1, scale // 4), size=min(600, max(150, 40 * scale))),
        *sim.takeover(scale * 2),
        *sim.phished_takeover(scale * 2),
    ]
    return in_window(traffic, start + timedelta(days=days))
