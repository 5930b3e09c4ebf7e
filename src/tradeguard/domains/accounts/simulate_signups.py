"""Deterministic sign-up traffic with attacks mixed in, for demos, tests and evaluation.

Customers sign up from home with an address at a common provider, a mobile number valid in
their country and their own device; a few share a household device or a family card, sign
up while abroad, or sit behind a mobile carrier's shared address. Attackers run fake-account
farms (one device, or a rotating /24 proxy pool, with throwaway inboxes and VoIP numbers), a
bot wave (a burst of sign-ups spread over residential proxies), rings reusing one phone or
card across accounts, and one person re-using a Gmail inbox under other spellings. Each item
carries its truth in ``truth`` (kept out of the event).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from tradeguard.domains.world import ATTACK_ORIGINS, CUSTOMER_COUNTRIES, in_window

BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari",
)
BOT_AGENT = "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/131.0 Safari/537.36"
FIRST = ("anna", "ben", "chen", "dara", "elif", "femi", "gita", "hugo", "ines", "jon", "kai")
LAST = ("lee", "meyer", "novak", "ortiz", "park", "quinn", "rossi", "sato", "tan", "weber")
PROVIDERS = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "hotmail.com", "proton.me")
LOCAL_PROVIDERS = {
    "DE": ("web.de", "gmx.de"),
    "FR": ("orange.fr", "free.fr"),
    "CN": ("qq.com", "163.com"),
    "JP": ("yahoo.co.jp",),
    "KR": ("naver.com",),
    "BR": ("uol.com.br",),
}
# All on the disposable-email-domains list (a test checks it).
DISPOSABLE = ("mailinator.com", "yopmail.com", "guerrillamail.com", "sharklasers.com")
# Regions whose numbering plan has VoIP ranges phonenumbers can tell apart.
VOIP_REGIONS = ("GB", "FR", "NL", "AU", "IT", "PL", "AT", "IE")
# Mobile-carrier addresses many customers share (carrier-grade NAT), per country.
CARRIER_NATS = {"US": "99.203.17.40", "GB": "92.40.2.9", "DE": "77.24.0.18"}
_MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
HOUSEHOLD_SHARE = 0.04  # customers who sign up on a device already used by their family
ABROAD_SHARE = 0.03
CARRIER_SHARE = 0.08  # of customers in a country with a carrier NAT listed
EXPAT_SHARE = 0.02  # stated country differs from the phone's


@dataclass(frozen=True, slots=True)
class SimulatedSignup:
    event: dict[str, Any]
    truth: str  # "normal" or the attack's name
    country: str  # the country the person stated


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a sign-up came from: its address, the edge's country for it (if sent)."""

    ip: str
    country: str | None


class SignupSimulator:
    def __init__(self, *, seed: int, customers: int, days: int, start: datetime) -> None:
        self.rng = random.Random(seed)  # noqa: S311 (reproducible traffic, not secrets)
        self.customers = customers
        self.days = days
        self.start = start
        self._n = 0
        homes = random.Random(f"{seed}:homes")  # noqa: S311
        names, weights = list(CUSTOMER_COUNTRIES), [w for w, _ in CUSTOMER_COUNTRIES.values()]
        self.home = homes.choices(names, weights=weights, k=customers)

    # -- building blocks ---------------------------------------------------------------

    def _event(
        self,
        at: datetime,
        account: str,
        email: str,
        country: str,
        origin: Origin,
        **optional: str | None,
    ) -> dict[str, Any]:
        self._n += 1
        event: dict[str, Any] = {
            "id": f"su-{self._n:07d}",
            "occurred_at": at.isoformat(),
            "account_id": account,
            "email": email,
            "country": country,
            "ip": origin.ip,
        }
        if origin.country:
            event["ip_country"] = origin.country
        event.update({k: v for k, v in optional.items() if v is not None})
        return event

    def _moment(self) -> datetime:
        return self.start + timedelta(seconds=self.rng.uniform(0, self.days * 86400))

    def _address(self, octets: tuple[int, ...]) -> str:
        r = self.rng
        return f"{r.choice(octets)}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"

    def _home_ip(self, country: str, *, edge: bool = True) -> Origin:
        return Origin(self._address(CUSTOMER_COUNTRIES[country][1]), country if edge else None)

    def _proxy_ip(self) -> Origin:
        origin = self.rng.choice(list(ATTACK_ORIGINS))
        return Origin(self._address(ATTACK_ORIGINS[origin]), origin)

    def phone(
        self, region: str, kind: int = PhoneNumberType.MOBILE, *, national: bool = False
    ) -> str:
        """A number valid in ``region`` of that type: the plan's example with new last digits."""
        example = phonenumbers.example_number_for_type(region, kind)
        assert example is not None, (region, kind)
        wanted = _MOBILE_TYPES if kind == PhoneNumberType.MOBILE else (kind,)
        digits = str(example.national_number)
        number = example
        for _ in range(25):
            tail = "".join(str(self.rng.randrange(10)) for _ in range(6))
            candidate = phonenumbers.parse(f"+{example.country_code}{digits[:-6]}{tail}")
            if (
                phonenumbers.is_valid_number(candidate)
                and phonenumbers.number_type(candidate) in wanted
            ):
                number = candidate
                break
        style = PhoneNumberFormat.NATIONAL if national else PhoneNumberFormat.E164
        return phonenumbers.format_number(number, style)

    def _email(self, c: int, country: str) -> str:
        r = self.rng
        domain = r.choice(PROVIDERS + LOCAL_PROVIDERS.get(country, ()))
        first, last = r.choice(FIRST), r.choice(LAST)
        return f"{first}{r.choice(('.', '_', ''))}{last}{c}@{domain}"

    # -- traffic ---------------------------------------------------------------------------

    def normal(self) -> Iterator[SimulatedSignup]:
        r = self.rng
        # Earlier customers whose home device a family member may still sign up on.
        homes: dict[str, list[tuple[str, Origin, str | None]]] = {}
        for c in range(self.customers):
            country = self.home[c]
            device, origin = f"dev-{c:05d}", self._home_ip(country, edge=r.random() < 0.85)
            card = f"card-{c:05d}" if r.random() < 0.25 else None
            solo = homes.setdefault(country, [])
            if solo and r.random() < HOUSEHOLD_SHARE:
                device, origin, family_card = solo.pop(r.randrange(len(solo)))
                card = family_card if r.random() < 0.3 else card
            else:
                solo.append((device, origin, card))
            if r.random() < ABROAD_SHARE:
                origin = self._home_ip(r.choice([k for k in CUSTOMER_COUNTRIES if k != country]))
            elif country in CARRIER_NATS and r.random() < CARRIER_SHARE:
                origin = Origin(CARRIER_NATS[country], country)
            yield SimulatedSignup(
                self._event(
                    self._moment(),
                    f"new-{c:05d}",
                    self._email(c, country),
                    country,
                    origin,
                    phone=self._customer_phone(country) if r.random() < 0.7 else None,
                    device_id=device,
                    card_fingerprint=card,
                    user_agent=r.choice(BROWSERS),
                ),
                "normal",
                country,
            )

    def _customer_phone(self, country: str) -> str:
        """Their own mobile, typed either way; an expatriate's is from another country."""
        r = self.rng
        if r.random() < EXPAT_SHARE:
            return self.phone(r.choice([k for k in CUSTOMER_COUNTRIES if k != country]))
        return self.phone(country, national=r.random() < 0.5)

    def farm(self, runs: int) -> Iterator[SimulatedSignup]:
        """Throwaway inboxes and VoIP numbers, from one device or from one rotating /24."""
        r = self.rng
        for run in range(runs):
            at, one_device = self._moment(), run % 2 == 0
            origin_country = r.choice(list(ATTACK_ORIGINS))
            net = (
                f"{r.choice(ATTACK_ORIGINS[origin_country])}.{r.randrange(256)}.{r.randrange(256)}"
            )
            for k in range(r.randint(12, 30)):
                region = r.choice(VOIP_REGIONS)
                if one_device:
                    origin, device = self._proxy_ip(), f"farm-{run}"
                else:
                    origin = Origin(f"{net}.{r.randrange(1, 255)}", origin_country)
                    device = f"farm-{run}-{k}"
                phone = self.phone(region, PhoneNumberType.VOIP) if r.random() < 0.7 else None
                yield SimulatedSignup(
                    self._event(
                        at + timedelta(seconds=k * r.uniform(60, 300)),
                        f"farm-{run}-{k:03d}",
                        f"{r.choice(FIRST)}{r.randrange(10_000)}@{r.choice(DISPOSABLE)}",
                        region,
                        origin,
                        phone=phone,
                        device_id=device,
                        user_agent=BROWSERS[0],
                    ),
                    "fake_account_farm",
                    region,
                )

    def burst(self, waves: int) -> Iterator[SimulatedSignup]:
        """A bot wave through residential proxies: each sign-up looks like a customer's."""
        r = self.rng
        for wave in range(waves):
            at = self._moment()
            for k in range(r.randint(60, 120)):
                country = r.choice(list(CUSTOMER_COUNTRIES))
                handle = "".join(r.choice("abcdefghijkmnpqrstuvwxyz0123456789") for _ in range(9))
                yield SimulatedSignup(
                    self._event(
                        at + timedelta(seconds=k * r.uniform(2, 6)),
                        f"bot-{wave}-{k:03d}",
                        f"{handle}@{r.choice(PROVIDERS)}",
                        country,
                        self._home_ip(country),
                        device_id=f"bot-{wave}-{k}",
                        user_agent=BOT_AGENT,
                    ),
                    "bot_wave",
                    country,
                )

    def ring(self, rings: int) -> Iterator[SimulatedSignup]:
        """Accounts that look like separate customers but share one phone or one card."""
        r = self.rng
        for ring in range(rings):
            country, by_phone = r.choice(list(CUSTOMER_COUNTRIES)), ring % 2 == 0
            shared = self.phone(country) if by_phone else f"ring-card-{ring}"
            at = self._moment()
            for k in range(r.randint(4, 7)):
                yield SimulatedSignup(
                    self._event(
                        at + timedelta(hours=k * r.uniform(2, 20)),
                        f"ring-{ring}-{k}",
                        self._email(90_000 + ring * 10 + k, country),
                        country,
                        self._home_ip(country),
                        phone=shared if by_phone else self.phone(country),
                        card_fingerprint=None if by_phone else shared,
                        device_id=f"ring-{ring}-{k}",
                        user_agent=r.choice(BROWSERS),
                    ),
                    "shared_phone_ring" if by_phone else "shared_card_ring",
                    country,
                )

    def mailbox_variants(self, people: int) -> Iterator[SimulatedSignup]:
        """One person, one Gmail inbox, several accounts for a new-customer offer."""
        r = self.rng
        for person in range(people):
            country = self.home[r.randrange(self.customers)]
            first, last = r.choice(FIRST), r.choice(LAST)
            origin, at = self._home_ip(country), self._moment()
            spellings = (f"{first}.{last}", f"{first}{last}", f"{first[0]}.{first[1:]}{last}")
            for k in range(r.randint(3, 5)):
                local = f"{spellings[k % 3]}{person}" + (f"+{k}" if k >= 3 else "")
                yield SimulatedSignup(
                    self._event(
                        at + timedelta(days=k * r.uniform(0.5, 3)),
                        f"promo-{person}-{k}",
                        f"{local}@gmail.com",
                        country,
                        origin,
                        device_id=f"promo-{person}",
                        user_agent=BROWSERS[1],
                    ),
                    "mailbox_variants",
                    country,
                )


def simulate_signups(
    *,
    seed: int = 11,
    customers: int = 1000,
    days: int = 14,
    start: datetime = datetime(2026, 11, 1, tzinfo=UTC),
) -> list[SimulatedSignup]:
    """All traffic in the window, in time order; attack volumes scale with the customers."""
    sim = SignupSimulator(seed=seed, customers=customers, days=days, start=start)
    scale = max(1, customers // 250)
    traffic = [
        *sim.normal(),
        *sim.farm(scale * 2),
        *sim.burst(scale),
        *sim.ring(scale * 2),
        *sim.mailbox_variants(scale * 2),
    ]
    return in_window(traffic, start + timedelta(days=days))
