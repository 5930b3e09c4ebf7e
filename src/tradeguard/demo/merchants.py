"""Seller applications for the demo marketplace: ~150 ordinary sellers and the attacks among them.

Sellers come from ten countries with identifiers that pass their check digits
(``merchant_ids``), people and addresses from Faker in the country's locale, all seeded. The
attacks: owners, a director and a company on the demo watch list (``demo-watchlist.csv``,
fictional), a ring of shell companies behind one payout account, phone, nominee director and
laptop, sellers in FATF call-for-action countries, invalid VAT numbers, sellers registered in
one country and run from others, and a clean seller that later adds a listed director. One
clean seller's director is only listed by the list's second version: the demo's list update
finds her by re-screening.
"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from faker import Faker

from tradeguard.demo import merchant_ids as ids
from tradeguard.domains.world import CUSTOMER_COUNTRIES

# Country: (sellers, Faker locale, legal form).
SELLER_COUNTRIES: dict[str, tuple[int, str, str]] = {
    "CN": (35, "zh_CN", "Co., Ltd."),
    "US": (20, "en_US", "LLC"),
    "DE": (15, "de_DE", "GmbH"),
    "GB": (15, "en_GB", "Ltd"),
    "IN": (15, "en_IN", "Pvt Ltd"),
    "VN": (12, "vi_VN", "Co., Ltd"),
    "FR": (10, "fr_FR", "SAS"),
    "PL": (10, "pl_PL", "Sp. z o.o."),
    "TR": (10, "tr_TR", "Ltd. Şti."),
    "NL": (8, "nl_NL", "B.V."),
}
TRADES = (
    "Home", "Kitchenware", "Outdoor", "Textiles", "Electronics", "Toys", "Garden", "Beauty",
    "Pet Supplies", "Lighting", "Crafts", "Sports", "Bags", "Stationery",
)  # fmt: skip
CN_CITIES = ("Shenzhen", "Guangzhou", "Hangzhou", "Shanghai", "Suzhou", "Xiamen")
WAREHOUSE_SHARE = 0.25  # cross-border sellers with a warehouse in a destination market
WAREHOUSES = ("US", "DE", "GB", "FR", "NL", "PL")
EXPAT_SHARE = 0.1  # people of another nationality than the company's country
SHELL_DIRECTOR = ("Pieter Grauwbeek", "1979-02-14", "NL")  # a nominee; not on any list
# The clean seller whose director the watch list's second version adds (DEMO-P-011).
LISTED_LATER = ("Jorun Elvestad-Kraamer", "1972-09-03", "NO")
# The listed director a clean seller adds in an update (DEMO-P-005).
ADDED_DIRECTOR = ("Oskar Brenneval", "1966-11-17", "DE")
# (country, legal name, the listed person as the form gives them, their roles, truth)
SANCTIONED: tuple[tuple[str, str, tuple[str, str, str], list[str], str], ...] = (
    (
        "PL",
        "Bursztyn Amber Goods Sp. z o.o.",
        ("Dravik Solenko", "1968-04-12", "BY"),
        ["owner", "director"],
        "sanctioned_owner",
    ),
    (
        "GB",
        "Marrow Home Supplies Ltd",
        ("Ilsa Marrowby", "1975-09-30", "GB"),
        ["owner"],
        "sanctioned_owner",
    ),
    # Under the alias the list also carries (Qorin Bastavel).
    (
        "TR",
        "Ege Mutfak Ltd. Şti.",
        ("Korin Bastavel", "1959-01-22", "CY"),
        ["director"],
        "sanctioned_director",
    ),
)
FRONT = "Amber Coast Trading Sp. z o.o."  # the first listed owner's storefront via a nominee
HIGH_RISK = (("IR", "Pars Carpet Export Co."), ("MM", "Golden Teak Trading Co., Ltd."))
# (registered in, run from): paid out in Lithuania as well.
ELSEWHERE = (("GB", "NG"), ("DE", "VN"), ("GB", "VN"))


@dataclass(frozen=True, slots=True)
class SimulatedMerchant:
    event: dict[str, Any]
    truth: str  # "normal" or the attack's name
    country: str  # where the company is registered


class MerchantSimulator:
    def __init__(self, *, seed: int, days: int, start: datetime) -> None:
        self.rng = random.Random(f"{seed}:merchants")  # noqa: S311 (reproducible, not secret)
        self.start, self.days = start, days
        self.fakers: dict[str, Faker] = {}
        self._n = 0
        for n, (_, locale, _) in enumerate(SELLER_COUNTRIES.values()):
            fake = Faker(locale)
            fake.seed_instance(seed * 100 + n)
            self.fakers[locale] = fake

    # -- building blocks ---------------------------------------------------------------

    def _fake(self, country: str) -> Faker:
        return self.fakers[SELLER_COUNTRIES.get(country, SELLER_COUNTRIES["GB"])[1]]

    def _at(self, share: float | None = None) -> datetime:
        """A moment in the window: at ``share`` of it (plus up to an hour), else anywhere."""
        seconds = self.days * 86400
        if share is None:
            return self.start + timedelta(seconds=self.rng.uniform(0, seconds))
        return self.start + timedelta(seconds=share * seconds + self.rng.uniform(0, 3600))

    def person_name(self, country: str) -> str:
        fake = self._fake(country)
        if country == "CN":
            return f"{fake.first_romanized_name()} {fake.last_romanized_name()}"
        return f"{fake.first_name()} {fake.last_name()}"

    def _birth(self) -> str:
        r = self.rng
        return f"{r.randrange(1958, 1999)}-{r.randrange(1, 13):02d}-{r.randrange(1, 29):02d}"

    def person(
        self, country: str, roles: list[str], *, named: tuple[str, str, str] | None = None
    ) -> dict[str, Any]:
        if named is not None:
            name, born, nationality = named
        else:
            expat = self.rng.random() < EXPAT_SHARE
            nationality = self.rng.choice(list(SELLER_COUNTRIES)) if expat else country
            name, born = self.person_name(nationality), self._birth()
        return {"name": name, "birth_date": born, "nationality": nationality, "roles": roles}

    def people(self, country: str) -> list[dict[str, Any]]:
        """An owner-director, or an owner and a director, sometimes a second owner."""
        r = self.rng
        if r.random() < 0.4:
            return [{**self.person(country, ["owner", "director"]), "ownership_pct": 100.0}]
        owners = [self.person(country, ["owner"])]
        if r.random() < 0.3:
            owners.append(self.person(country, ["owner"]))
        share = round(100 / len(owners), 1)
        return [{**o, "ownership_pct": share} for o in owners] + [
            self.person(country, ["director"])
        ]

    def address(self, country: str, kind: str = "registered") -> dict[str, Any]:
        fake = self._fake(country)
        street = " ".join(str(fake.street_address()).split())[:200]
        return {
            "kind": kind,
            "lines": [street],
            "city": str(fake.city())[:100],
            "postcode": str(fake.postcode())[:20],
            "country": country,
        }

    def legal_name(self, country: str) -> str:
        trade, form = self.rng.choice(TRADES), SELLER_COUNTRIES.get(country, ("", "", "Ltd"))[2]
        if country == "CN":
            founder = self._fake("CN").first_romanized_name()
            return f"{self.rng.choice(CN_CITIES)} {founder} {trade} {form}"
        return f"{self._fake(country).last_name()} {trade} {form}"

    def ip(self, country: str) -> str:
        octets = CUSTOMER_COUNTRIES.get(country, CUSTOMER_COUNTRIES["US"])[1]
        r = self.rng
        return f"{r.choice(octets)}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"

    def application(
        self, country: str, at: datetime, *, legal_name: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        """An ordinary seller's application; ``fields`` replace any part of it."""
        self._n += 1
        n, r = self._n, self.rng
        name = legal_name or self.legal_name(country)
        domain = f"{_slug(name)}-{n}.example"
        registered = ids.registration(country, r)
        addresses = [self.address(country)]
        if country not in WAREHOUSES and r.random() < WAREHOUSE_SHARE:
            addresses.append(self.address(r.choice(WAREHOUSES), "warehouse"))
        event: dict[str, Any] = {
            "id": f"mer-{n:05d}",
            "occurred_at": at.isoformat(),
            "merchant_id": f"seller-{n:05d}",
            "legal_name": name,
            "registration_number": registered,
            "registration_country": country,
            "tax_ids": ids.tax_ids(country, r, registered),
            "people": self.people(country),
            "addresses": addresses,
            "bank": ids.bank(country, r, name),
            "website": f"https://www.{domain}",
            "email": f"{r.choice(('info', 'sales', 'shop', 'hello'))}@{domain}",
            "phone": ids.phone(country, r),
            "documents": [_document(n, "registration_certificate")],
            "device_id": f"mdev-{n:05d}",
            "ip": self.ip(country),
            "ip_country": country,
        }
        event.update(fields)
        return {k: v for k, v in event.items() if v is not None}

    # -- traffic ---------------------------------------------------------------------------

    def sellers(self) -> Iterator[SimulatedMerchant]:
        for country, (count, _, _) in SELLER_COUNTRIES.items():
            for _ in range(count):
                yield SimulatedMerchant(self.application(country, self._at()), "normal", country)

    def listed_later(self) -> SimulatedMerchant:
        """A clean Dutch seller, early in the window; the list's second version names her."""
        people = [
            {**self.person("NL", ["owner"]), "ownership_pct": 100.0},
            self.person("NL", ["director"], named=LISTED_LATER),
        ]
        event = self.application(
            "NL", self._at(0.05), legal_name="Elvestad Living B.V.", people=people
        )
        return SimulatedMerchant(event, "normal", "NL")

    def adds_listed_director(self, earlier: dict[str, Any]) -> SimulatedMerchant:
        """A clean seller's update, late in the window, adding a director on the list."""
        added = self.person(earlier["registration_country"], ["director"], named=ADDED_DIRECTOR)
        event = {
            **earlier,
            "id": f"{earlier['id']}-u1",
            "occurred_at": self._at(0.8).isoformat(),
            "action": "update",
            "people": [*earlier["people"], added],
        }
        return SimulatedMerchant(event, "listed_director_added", event["registration_country"])

    def sanctioned(self) -> Iterator[SimulatedMerchant]:
        """Owners, a director (under an alias) and a company that are on the watch list.

        The first listed owner opened a storefront through a nominee earlier, paid into the
        same account from the same laptop and phone: it passed, and his own company's case
        shows it in the ring.
        """
        for n, (country, name, who, roles, truth) in enumerate(SANCTIONED):
            people = [self.person(country, roles, named=who)]
            if "owner" not in roles:
                people.insert(0, {**self.person(country, ["owner"]), "ownership_pct": 100.0})
            at = self._at(0.6) if n == 0 else self._at()
            event = self.application(country, at, legal_name=name, people=people)
            yield SimulatedMerchant(event, truth, country)
            if n == 0:
                shared = {k: event[k] for k in ("bank", "device_id", "phone")}
                nominee = self.application(country, self._at(0.2), legal_name=FRONT, **shared)
                yield SimulatedMerchant(nominee, "sanctioned_front", country)
        front = self.application(
            "AE",
            self._at(),
            legal_name="Halvard Strait Shipping FZE",
            trading_names=["Halvard Marine Supplies"],
            bank={"account_number": ids.digits(self.rng, 12), "country": "AE"},
            ip_country=None,
        )
        yield SimulatedMerchant(front, "sanctioned_company", "AE")

    def shell_ring(self, size: int = 6) -> Iterator[SimulatedMerchant]:
        """Shell companies opened in two days: one payout account, phone, nominee and laptop."""
        r = self.rng
        iban = ids.bank("GB", r, "Brightwell Trade Services Ltd")
        phone, device, subnet = ids.phone("GB", r), "mdev-7f3a9c", self.ip("GB").rsplit(".", 1)[0]
        first, span = 0.3 + r.uniform(0, 0.1), min(2.0, self.days / 2) / self.days
        for i in range(size):
            people = [
                {**self.person("GB", ["owner"]), "ownership_pct": 100.0},
                self.person("GB", ["director"], named=SHELL_DIRECTOR),
            ]
            event = self.application(
                "GB",
                self._at(first + span * i / size),
                people=people,
                bank=iban,
                phone=phone,
                device_id=device,
                ip=f"{subnet}.{10 + i}",
            )
            yield SimulatedMerchant(event, "shell_ring", "GB")

    def high_risk_jurisdictions(self) -> Iterator[SimulatedMerchant]:
        """Registered in countries the FATF calls to act on: Iran (countermeasures), Myanmar."""
        for country, name in HIGH_RISK:
            owner = {
                "name": self.person_name("US"),
                "birth_date": self._birth(),
                "nationality": country,
                "roles": ["owner", "director"],
            }
            event = self.application(
                country,
                self._at(),
                legal_name=name,
                people=[owner],
                addresses=[{**self.address("GB"), "country": country}],
                bank={"account_number": ids.digits(self.rng, 12), "country": country},
                ip_country=None,
            )
            yield SimulatedMerchant(event, "fatf_jurisdiction", country)

    def invalid_vat(self) -> Iterator[SimulatedMerchant]:
        for country in ("DE", "FR", "PL"):
            event = self.application(country, self._at())
            event["tax_ids"] = [{**t, "value": ids.broken(t["value"])} for t in event["tax_ids"]]
            yield SimulatedMerchant(event, "invalid_vat", country)

    def country_mismatch(self) -> Iterator[SimulatedMerchant]:
        """Registered in GB or DE, paid out in Lithuania, run from Nigeria or Vietnam."""
        for country, run_from in ELSEWHERE:
            event = self.application(
                country,
                self._at(),
                bank=ids.bank("LT", self.rng, "Baltic Payout Services UAB"),
                phone=ids.phone(run_from, self.rng),
                ip=self.ip(run_from),
                ip_country=run_from,
            )
            yield SimulatedMerchant(event, "country_mismatch", country)


def simulate_merchants(*, seed: int, days: int, start: datetime) -> list[SimulatedMerchant]:
    """Every application and update of the window, in time order."""
    sim = MerchantSimulator(seed=seed, days=days, start=start)
    sellers = list(sim.sellers())
    early = min((s for s in sellers if s.country == "DE"), key=lambda s: s.event["occurred_at"])
    found = [
        *sellers,
        sim.listed_later(),
        sim.adds_listed_director(early.event),
        *sim.sanctioned(),
        *sim.shell_ring(),
        *sim.high_risk_jurisdictions(),
        *sim.invalid_vat(),
        *sim.country_mismatch(),
    ]
    return sorted(found, key=lambda s: (s.event["occurred_at"], s.event["id"]))


def _slug(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode()
    words = re.sub(r"\b(co|ltd|llc|gmbh|sas|bv|sp|z|o|pvt|sti)\b", " ", folded)
    return re.sub(r"[^a-z0-9]+", "-", words).strip("-")[:40] or "shop"


def _document(n: int, kind: str) -> dict[str, str]:
    reference = f"kyb/seller-{n:05d}/{kind}.pdf"
    digest = hashlib.sha256(reference.encode()).hexdigest()
    return {"kind": kind, "reference": reference, "sha256": digest}
