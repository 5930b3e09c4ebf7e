"""Deterministic order traffic with card fraud mixed in, for demos, examples and tests.

Customers of a cross-border shop live in many countries, pay with a card issued at home, ship
home from their own devices and networks, and buy their usual basket in their own currency.
Fraudsters hide among them: card testers try tiny amounts on many stolen cards from one device,
stolen-card buyers order electronics and gift cards with the card, the IP and the parcel in
three different countries, triangulation rings ship many cards' orders to one reshipper address,
and account takers buy big with a customer's stored card from a new device to a new address.

Outcomes arrive as real ones do: declines seconds after the order, refunds and confirmations
within days, chargebacks (labels) 20 to 60 days later, so a model trained "now" only knows
part of the truth. Each item carries its truth (kept out of the event).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tradeguard.domains.payments.reference import reference

# Public tables of the login simulator: the same shop, so the same customers' countries and
# networks. Only its constants are shared, never its internals.
from tradeguard.domains.world import ATTACK_ORIGINS, CUSTOMER_COUNTRIES

# Chargebacks reach the merchant one to six weeks after the purchase (most card schemes give
# the cardholder 120 days, but fraud disputes cluster in the first weeks).
CHARGEBACK_DAYS = (7.0, 40.0)

ORDER_RATE = 0.03  # orders per customer per day, for an average customer
CARD_TESTING_PER_ORDERS = 2000  # one card-testing run per this many normal orders
STOLEN_CARD_SHARE = 0.004  # stolen-card buyers per normal order
RESHIPPERS_PER_ORDERS = 1500  # one triangulation ring per this many normal orders
TAKEOVER_SHARE = 0.002  # account takeovers per normal order
FRAUD_REASONS = {"4": "10.4", "5": "4837"}  # Visa / Mastercard "card-absent fraud" by BIN

# What each country's customers pay in. Vietnam and Indonesia pay in USD here: a big order in
# dong or rupiah exceeds the order schema's unit-price limit (10,000,000).
CURRENCY = {
    "US": "USD", "DE": "EUR", "GB": "GBP", "FR": "EUR", "CN": "CNY", "JP": "JPY", "CA": "CAD",
    "AU": "AUD", "BR": "BRL", "IN": "INR", "KR": "KRW", "ES": "EUR", "IT": "EUR", "NL": "EUR",
    "MX": "MXN", "PL": "PLN", "SE": "SEK", "CH": "CHF", "TR": "TRY", "AE": "AED", "SA": "SAR",
    "SG": "SGD", "HK": "HKD", "TW": "TWD", "ID": "USD", "ZA": "ZAR", "NG": "USD", "VN": "USD",
    "TH": "THB", "AR": "USD", "CL": "USD", "IL": "ILS",
}  # fmt: skip
FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "hotmail.com", "proton.me")
LOCAL_MAIL = {
    "DE": "gmx.de", "FR": "orange.fr", "CN": "qq.com", "JP": "yahoo.co.jp", "KR": "naver.com",
    "BR": "uol.com.br", "IT": "libero.it", "GB": "btinternet.com", "IN": "rediffmail.com",
    "RU": "mail.ru", "PL": "wp.pl",
}  # fmt: skip
DISPOSABLE_MAIL = ("mailinator.com", "guerrillamail.com", "yopmail.com", "sharklasers.com")
STREETS = ("Main", "Station", "Park", "Market", "Church", "Harbour", "Mill", "Garden", "Lake")
# Freight forwarders and parcel drops that stolen goods are sent through.
DROP_COUNTRIES = ("US", "NL", "GB", "HK", "SG", "AE", "DE", "PL")
NORMAL_CATEGORIES = (
    "apparel", "home", "books", "beauty", "toys", "sports", "groceries", "garden", "pets",
    "electronics", "sneakers", "cosmetics",
)  # fmt: skip
FRAUD_CATEGORIES = ("electronics", "phones", "gift_cards", "computers", "gaming", "watches")
MERCHANTS = tuple(f"store-{n:02d}" for n in range(1, 13))
DECLINE_CODES = ("stolen_card", "lost_card", "fraudulent", "pickup_card")


@dataclass(frozen=True, slots=True)
class SimulatedOrder:
    kind: str  # "order" or "order_outcome"
    event: dict[str, Any]
    truth: str  # "normal" or the fraud pattern's name
    country: str  # the customer's home country (the cardholder's, for fraud)


@dataclass(frozen=True, slots=True)
class Card:
    bin: str
    fingerprint: str
    last4: str
    country: str


@dataclass(frozen=True, slots=True)
class Customer:
    account: str
    country: str
    email: str
    cards: tuple[Card, ...]
    devices: tuple[str, ...]
    ips: tuple[str, ...]
    address: dict[str, str]
    basket_eur: float
    categories: tuple[str, ...]
    merchants: tuple[str, ...]
    created_at: datetime
    activity: float


@dataclass(frozen=True, slots=True)
class Buyer:
    """Who places one order, as the checkout sees it (a customer, or someone posing as one)."""

    account: str | None
    email: str
    card: Card
    device: str
    ip: str
    ip_country: str
    billing: dict[str, str]
    shipping: dict[str, str]
    created_at: datetime | None = None
    merchant: str | None = None  # a customer's usual store; fraudsters go where the goods are


class OrderSimulator:
    def __init__(self, *, seed: int, customers: int, days: int, start: datetime) -> None:
        self.rng = random.Random(seed)  # noqa: S311 (reproducible traffic, not secrets)
        self.seed, self.days, self.start = seed, days, start
        self._ids: dict[str, int] = {}
        self.items: list[SimulatedOrder] = []
        # Homes are drawn exactly as the login simulator draws them, so with the same seed
        # ``cust-00042`` lives in the same country in both; the rest of a customer comes from
        # its own stream, so customers stay put when traffic shapes change.
        names, weights = list(CUSTOMER_COUNTRIES), [w for w, _ in CUSTOMER_COUNTRIES.values()]
        homes = random.Random(f"{seed}:homes").choices(names, weights=weights, k=customers)  # noqa: S311
        details = random.Random(f"{seed}:customers")  # noqa: S311
        self.bins = {c: self._bins(details) for c in CURRENCY}
        self.customers = [self._customer(details, n, home) for n, home in enumerate(homes)]

    # -- building blocks -------------------------------------------------------------------

    @staticmethod
    def _bins(r: random.Random) -> tuple[str, str]:
        """A Visa and a Mastercard BIN per issuing country (the first digit names the scheme)."""
        return f"4{r.randrange(10**5):05d}", f"5{r.randint(1, 5)}{r.randrange(10**4):04d}"

    def _next(self, prefix: str) -> str:
        self._ids[prefix] = self._ids.get(prefix, 0) + 1
        return f"{prefix}-{self._ids[prefix]:07d}"

    def _digest(self, label: str, size: int = 20) -> str:
        return hashlib.sha256(f"{self.seed}:{label}".encode()).hexdigest()[:size]

    def _card(self, r: random.Random, label: str, country: str) -> Card:
        digits = int(self._digest(label, 8), 16)
        return Card(
            r.choice(self.bins[country]), self._digest(label), f"{digits % 10_000:04d}", country
        )

    def _ip(self, r: random.Random, country: str, *, attack: bool = False) -> str:
        octets = ATTACK_ORIGINS[country] if attack else CUSTOMER_COUNTRIES[country][1]
        return f"{r.choice(octets)}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"

    def _address(self, r: random.Random, country: str) -> dict[str, str]:
        return {
            "line1": f"{r.randint(1, 240)} {r.choice(STREETS)} Street",
            "city": f"{country} City {r.randint(1, 40)}",
            "postal_code": f"{r.randrange(10**5):05d}",
            "country": country,
        }

    def _customer(self, r: random.Random, n: int, country: str) -> Customer:
        account = f"cust-{n:05d}"
        mail = r.choice((*FREE_MAIL, LOCAL_MAIL.get(country, "gmail.com")))
        cards = tuple(
            self._card(r, f"{account}:card{k}", country) for k in range(r.choice((1, 1, 1, 2)))
        )
        return Customer(
            account=account,
            country=country,
            email=f"{account.replace('-', '.')}.{r.randrange(100)}@{mail}",
            cards=cards,
            devices=tuple(f"dev-{n:05d}-{d}" for d in range(r.choice((1, 1, 2, 3)))),
            ips=tuple(self._ip(r, country) for _ in range(r.choice((1, 2)))),
            address=self._address(r, country),
            basket_eur=r.lognormvariate(3.7, 0.6),  # ~EUR 40, mostly 15 to 130
            categories=tuple(r.sample(NORMAL_CATEGORIES, 3)),
            merchants=tuple(r.sample(MERCHANTS, 2)),
            created_at=self.start - timedelta(days=r.uniform(20, 1500)),
            activity=r.choice((0.3, 0.6, 1.0, 1.0, 1.5, 2.5)),
        )

    def _moment(self) -> datetime:
        return self.start + timedelta(seconds=self.rng.uniform(0, self.days * 86400))

    def _items(
        self, total_eur: float, currency: str, categories: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        """One to three lines adding up to about ``total_eur``, priced in the order's currency."""
        r, rate = self.rng, reference().eur_per_unit[currency]
        lines = r.choice((1, 1, 2, 3))
        shares = [r.uniform(0.5, 1.5) for _ in range(lines)]
        items = []
        for k, share in enumerate(shares):
            price = max(Decimal("0.01"), round(Decimal(total_eur * share / sum(shares) / rate), 2))
            items.append(
                {
                    "sku": f"sku-{r.randrange(10**5):05d}",
                    "category": categories[k % len(categories)],
                    "quantity": 1,
                    "unit_price": str(price),
                }
            )
        return items

    # -- events ------------------------------------------------------------------------------

    def _order(
        self,
        at: datetime,
        buyer: Buyer,
        eur: float,
        categories: tuple[str, ...],
        truth: str,
        home: str,
    ) -> dict[str, Any]:
        currency = CURRENCY.get(buyer.card.country, "USD")
        items = self._items(eur, currency, categories)
        event: dict[str, Any] = {
            "id": self._next("ord"),
            "occurred_at": at.isoformat(),
            "email": buyer.email,
            "amount": str(sum(Decimal(i["unit_price"]) for i in items)),
            "currency": currency,
            "items": items,
            "payment": {
                "type": "card",
                "card_bin": buyer.card.bin,
                "card_fingerprint": buyer.card.fingerprint,
                "card_last4": buyer.card.last4,
                "issuing_country": buyer.card.country,
            },
            "billing_address": dict(buyer.billing),
            "shipping_address": dict(buyer.shipping),
            "ip": buyer.ip,
            "ip_country": buyer.ip_country,
            "device_id": buyer.device,
            "merchant_id": buyer.merchant or self.rng.choice(MERCHANTS),
        }
        if buyer.account:
            event["account_id"] = buyer.account
        if buyer.created_at:
            event["account_created_at"] = buyer.created_at.isoformat()
        self.items.append(SimulatedOrder("order", event, truth, home))
        return event

    def _outcome(
        self,
        order: dict[str, Any],
        after: timedelta,
        outcome: str,
        truth: str,
        home: str,
        reason: str | None = None,
    ) -> None:
        prefix = {"authorization_declined": "dcl", "chargeback": "cb", "refund": "rf"}
        event: dict[str, Any] = {
            "id": self._next(prefix.get(outcome, "ok")),
            "occurred_at": (datetime.fromisoformat(order["occurred_at"]) + after).isoformat(),
            "order_id": order["id"],
            "outcome": outcome,
        }
        if reason:
            event["reason_code"] = reason
        if outcome in ("chargeback", "refund"):
            event["amount"] = order["amount"]
        self.items.append(SimulatedOrder("order_outcome", event, truth, home))

    def _fraud_outcomes(
        self, order: dict[str, Any], truth: str, home: str, *, caught: float
    ) -> None:
        """Declined by the issuer at once, else charged back as fraud weeks later (mostly)."""
        r = self.rng
        if r.random() < 0.1:
            self._outcome(
                order,
                timedelta(seconds=r.uniform(1, 8)),
                "authorization_declined",
                truth,
                home,
                r.choice(DECLINE_CODES),
            )
        elif r.random() < caught:
            reason = FRAUD_REASONS.get(order["payment"]["card_bin"][0], "10.4")
            self._outcome(
                order,
                timedelta(days=r.uniform(*CHARGEBACK_DAYS)),
                "chargeback",
                truth,
                home,
                reason,
            )

    def _normal_outcomes(self, order: dict[str, Any], eur: float, home: str) -> None:
        r, roll = self.rng, self.rng.random()
        if roll < 0.02:
            self._outcome(
                order,
                timedelta(seconds=r.uniform(1, 8)),
                "authorization_declined",
                "normal",
                home,
                "insufficient_funds",
            )
        elif roll < 0.06:
            self._outcome(order, timedelta(days=r.uniform(3, 20)), "refund", "normal", home)
        elif roll < 0.064:  # merchandise not received, not as described: disputes, not fraud
            self._outcome(
                order,
                timedelta(days=r.uniform(*CHARGEBACK_DAYS)),
                "chargeback",
                "normal",
                home,
                r.choice(("13.1", "13.3")),
            )
        elif (eur > 250 and roll < 0.4) or roll < 0.08:  # an analyst or the customer confirmed it
            self._outcome(
                order, timedelta(days=r.uniform(0.5, 4)), "confirmed_legitimate", "normal", home
            )

    # -- traffic -----------------------------------------------------------------------------

    def normal(self) -> None:
        r = self.rng
        for c in self.customers:
            for _ in range(sum(r.random() < ORDER_RATE * c.activity for _ in range(self.days))):
                buyer = self._as_customer(c)
                eur = c.basket_eur * r.lognormvariate(0, 0.4)
                order = self._order(self._moment(), buyer, eur, c.categories, "normal", c.country)
                self._normal_outcomes(order, eur, c.country)

    def _as_customer(self, c: Customer) -> Buyer:
        r = self.rng
        ip, ip_country = r.choice(c.ips), c.country
        if r.random() < 0.02:  # on a trip: a hotel or mobile network abroad
            ip_country = r.choice([k for k in CUSTOMER_COUNTRIES if k != c.country])
            ip = self._ip(r, ip_country)
        shipping = c.address if r.random() > 0.03 else self._address(r, r.choice(list(CURRENCY)))
        return Buyer(
            c.account,
            c.email,
            r.choice(c.cards),
            r.choice(c.devices),
            ip,
            ip_country,
            c.address,
            shipping,
            c.created_at,
            r.choice(c.merchants),
        )

    def _stolen_card(self, label: str) -> tuple[Card, str]:
        """A victim's card: often a real customer's, else one from a leaked list abroad."""
        r = self.rng
        if r.random() < 0.5:
            victim = r.choice(self.customers)
            return r.choice(victim.cards), victim.country
        country = r.choices(
            list(CUSTOMER_COUNTRIES), weights=[w for w, _ in CUSTOMER_COUNTRIES.values()]
        )[0]
        return self._card(r, label, country), country

    def _fraud_email(self, label: str) -> str:
        r = self.rng
        domain = r.choice(DISPOSABLE_MAIL) if r.random() < 0.4 else r.choice(FREE_MAIL)
        return f"{self._digest(label, 10)}@{domain}"

    def _origin(self, *avoid: str) -> str:
        return self.rng.choice([c for c in ATTACK_ORIGINS if c not in avoid])

    def card_testing(self, runs: int) -> None:
        r = self.rng
        for run in range(runs):
            at, device = self._moment(), f"tester-{run}"
            origin = self._origin()
            ip, email = self._ip(r, origin, attack=True), self._fraud_email(f"tester{run}")
            for k in range(r.randint(10, 25)):
                card, home = self._stolen_card(f"ct{run}:{k}")
                billing, shipping = self._address(r, card.country), self._address(r, origin)
                buyer = Buyer(None, email, card, device, ip, origin, billing, shipping)
                order = self._order(
                    at + timedelta(seconds=k * r.uniform(20, 60)),
                    buyer,
                    r.uniform(0.5, 4.5),
                    ("digital_goods",),
                    "card_testing",
                    home,
                )
                if r.random() < 0.75:
                    self._outcome(
                        order,
                        timedelta(seconds=r.uniform(1, 6)),
                        "authorization_declined",
                        "card_testing",
                        home,
                        r.choice(DECLINE_CODES),
                    )
                elif r.random() < 0.3:
                    self._outcome(
                        order,
                        timedelta(days=r.uniform(*CHARGEBACK_DAYS)),
                        "chargeback",
                        "card_testing",
                        home,
                        "10.4",
                    )

    def stolen_cards(self, buyers: int) -> None:
        r = self.rng
        for n in range(buyers):
            card, home = self._stolen_card(f"sc{n}")
            origin = self._origin(card.country)
            drop = r.choice([c for c in DROP_COUNTRIES if c not in (card.country, origin)])
            buyer = Buyer(
                None, self._fraud_email(f"sc{n}"), card, f"fraud-dev-{n}",
                self._ip(r, origin, attack=True), origin, self._address(r, card.country),
                self._address(r, drop),
            )  # fmt: skip
            at = self._moment()
            for k in range(r.choice((1, 1, 2, 3))):
                eur = r.uniform(400, 2500)
                cats = tuple(r.sample(FRAUD_CATEGORIES, 2))
                order = self._order(
                    at + timedelta(minutes=k * r.uniform(5, 90)),
                    buyer,
                    eur,
                    cats,
                    "stolen_card",
                    home,
                )
                self._fraud_outcomes(order, "stolen_card", home, caught=0.85)

    def triangulation(self, rings: int) -> None:
        """A fake shop sells cheap elsewhere, then buys here on stolen cards for its buyers."""
        r = self.rng
        for ring in range(rings):
            drop = r.choice(DROP_COUNTRIES)
            address, start = self._address(r, drop), self._moment()
            for k in range(r.randint(6, 14)):
                card, home = self._stolen_card(f"tri{ring}:{k}")
                ip_country = drop if r.random() < 0.5 else self._origin(drop)
                ip = self._ip(r, ip_country, attack=ip_country != drop)
                buyer = Buyer(
                    f"tri-{ring}-{k}", self._fraud_email(f"tri{ring}:{k}"), card,
                    f"tri-dev-{ring}-{k % 3}", ip, ip_country, self._address(r, card.country),
                    address, start - timedelta(hours=r.uniform(1, 48)),
                )  # fmt: skip
                at = min(
                    start + timedelta(hours=r.uniform(0, 7 * 24)),
                    self.start + timedelta(days=self.days),
                )
                order = self._order(
                    at,
                    buyer,
                    r.uniform(80, 600),
                    tuple(r.sample(FRAUD_CATEGORIES, 2)),
                    "triangulation",
                    home,
                )
                self._fraud_outcomes(order, "triangulation", home, caught=0.8)

    def takeover(self, victims: int) -> None:
        r = self.rng
        for n in range(victims):
            c = r.choice(self.customers)
            origin = self._origin(c.country)
            drop = r.choice([k for k in DROP_COUNTRIES if k != c.country])
            buyer = Buyer(
                c.account, c.email, c.cards[0], f"ato-dev-{n}", self._ip(r, origin, attack=True),
                origin, c.address, self._address(r, drop), c.created_at,
            )  # fmt: skip
            eur = max(500.0, c.basket_eur * r.uniform(8, 25))
            order = self._order(
                self._moment(),
                buyer,
                eur,
                tuple(r.sample(FRAUD_CATEGORIES, 2)),
                "account_takeover",
                c.country,
            )
            self._fraud_outcomes(order, "account_takeover", c.country, caught=0.8)


def simulate_orders(
    *,
    seed: int = 7,
    customers: int = 1000,
    days: int = 30,
    start: datetime = datetime(2026, 10, 1, tzinfo=UTC),
) -> Iterator[SimulatedOrder]:
    """Orders and their outcomes in time order; fraud volumes scale with the normal orders.

    Outcomes can fall after the last day of orders (chargebacks take weeks); a caller that
    stands at the window's end drops them, as it could not know them yet.
    """
    sim = OrderSimulator(seed=seed, customers=customers, days=days, start=start)
    sim.normal()
    normal = len(sim.items)  # roughly: outcomes are a small share
    sim.card_testing(max(1, round(normal / CARD_TESTING_PER_ORDERS)))
    sim.stolen_cards(max(2, round(normal * STOLEN_CARD_SHARE)))
    sim.triangulation(max(1, round(normal / RESHIPPERS_PER_ORDERS)))
    sim.takeover(max(2, round(normal * TAKEOVER_SHARE)))
    return iter(
        sorted(
            sim.items,
            key=lambda s: (datetime.fromisoformat(s.event["occurred_at"]), s.kind, s.event["id"]),
        )
    )
