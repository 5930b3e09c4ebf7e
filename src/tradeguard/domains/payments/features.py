"""The order feature set: velocity, mismatches, history and context for the fraud model.

Every value comes from the event and TradeGuard's own counters, through one function that
serving and offline replays share (``engine.features``). NaN means "cannot tell" (no device,
no country given), which LightGBM treats as missing rather than as zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from tradeguard.domains.payments.reference import is_disposable, reference, zone
from tradeguard.domains.payments.schemas import OrderPayload
from tradeguard.engine.events import Event
from tradeguard.engine.features import CounterCall, CounterValues

NAN = float("nan")
PAYMENT_TYPES = ("card", "wallet", "bank_transfer", "bnpl", "cash_on_delivery", "other")


@dataclass(frozen=True, slots=True)
class Counted:
    """A feature read straight from one counter, with the words that explain it."""

    name: str
    call: CounterCall
    text: str
    unit: float = 1.0  # the counter's answer is divided by this (ages: seconds -> days)


def _c(name: str, fn: str, metric: str, entity: str, window: str, text: str) -> Counted:
    return Counted(name, CounterCall(fn, metric, entity, window), text)  # type: ignore[arg-type]


def _age(name: str, entity: str, text: str) -> Counted:
    """Days since TradeGuard first saw the entity on an order (within a year; 0 when new)."""
    return Counted(name, CounterCall("velocity_age", _PLACED, entity, "365d"), text, 86_400.0)


_PLACED, _CB, _DECL = "order.placed", "order.chargeback", "order.declined"
CARD, DEVICE, EMAIL, IP = "card_fingerprint", "device", "email", "ip"
ADDR, ACCT, MERCH = "address_hash", "account", "merchant"

COUNTED: tuple[Counted, ...] = (
    _age("card_age_days", CARD, "the card was first seen {v} days ago"),
    _age("email_age_days", EMAIL, "the e-mail address was first seen {v} days ago"),
    _age("device_age_days", DEVICE, "the device was first seen {v} days ago"),
    _age("address_age_days", ADDR, "the shipping address was first used {v} days ago"),
    _c(
        "card_orders_1h",
        "velocity",
        _PLACED,
        CARD,
        "1h",
        "{v} orders on this card in the last hour",
    ),
    _c("card_orders_24h", "velocity", _PLACED, CARD, "24h", "{v} orders on this card in 24 hours"),
    _c("card_orders_7d", "velocity", _PLACED, CARD, "7d", "{v} orders on this card in 7 days"),
    _c("card_orders_30d", "velocity", _PLACED, CARD, "30d", "{v} orders on this card in 30 days"),
    _c("card_orders_90d", "velocity", _PLACED, CARD, "90d", "{v} orders on this card in 90 days"),
    _c(
        "card_orders_14d",
        "velocity",
        _PLACED,
        CARD,
        "14d",
        "{v} orders on this card in 14 days",
    ),
    _c(
        "card_eur_24h",
        "velocity_sum",
        _PLACED,
        CARD,
        "24h",
        "EUR {v} spent on this card in 24 hours",
    ),
    _c("card_eur_7d", "velocity_sum", _PLACED, CARD, "7d", "EUR {v} spent on this card in 7 days"),
    _c(
        "card_eur_14d",
        "velocity_sum",
        _PLACED,
        CARD,
        "14d",
        "EUR {v} spent on this card in 14 days",
    ),
    _c(
        "card_eur_30d",
        "velocity_sum",
        _PLACED,
        CARD,
        "30d",
        "EUR {v} spent on this card in 30 days",
    ),
    _c(
        "card_eur_90d",
        "velocity_sum",
        _PLACED,
        CARD,
        "90d",
        "EUR {v} spent on this card in 90 days",
    ),
    _c(
        "card_devices_30d",
        "velocity_distinct",
        _PLACED,
        CARD,
        "30d",
        "this card was used from {v} devices in 30 days",
    ),
    _c(
        "card_small_1h",
        "velocity",
        "order.small",
        CARD,
        "1h",
        "{v} tiny orders on this card in the last hour (card testing)",
    ),
    _c(
        "card_declines_1h",
        "velocity",
        _DECL,
        CARD,
        "1h",
        "{v} declined payments on this card in the last hour",
    ),
    _c(
        "card_declines_24h",
        "velocity",
        _DECL,
        CARD,
        "24h",
        "{v} declined payments on this card in 24 hours",
    ),
    _c(
        "card_chargebacks_90d",
        "velocity",
        _CB,
        CARD,
        "90d",
        "{v} fraud chargebacks on this card in 90 days",
    ),
    _c(
        "email_orders_365d",
        "velocity",
        _PLACED,
        EMAIL,
        "365d",
        "{v} orders with this e-mail address in a year",
    ),
    _c(
        "email_cards_30d",
        "velocity_distinct",
        _PLACED,
        EMAIL,
        "30d",
        "{v} different cards used with this e-mail in 30 days",
    ),
    _c(
        "email_chargebacks_90d",
        "velocity",
        _CB,
        EMAIL,
        "90d",
        "{v} fraud chargebacks on this e-mail in 90 days",
    ),
    _c(
        "account_orders_90d",
        "velocity",
        _PLACED,
        ACCT,
        "90d",
        "{v} orders on this account in 90 days",
    ),
    _c(
        "account_orders_365d",
        "velocity",
        _PLACED,
        ACCT,
        "365d",
        "{v} orders on this account in a year",
    ),
    _c(
        "account_eur_90d",
        "velocity_sum",
        _PLACED,
        ACCT,
        "90d",
        "EUR {v} spent on this account in 90 days",
    ),
    _c(
        "account_cards_30d",
        "velocity_distinct",
        _PLACED,
        ACCT,
        "30d",
        "{v} different cards on this account in 30 days",
    ),
    _c(
        "device_orders_24h",
        "velocity",
        _PLACED,
        DEVICE,
        "24h",
        "{v} orders from this device in 24 hours",
    ),
    _c(
        "device_cards_24h",
        "velocity_distinct",
        _PLACED,
        DEVICE,
        "24h",
        "{v} different cards used from this device in 24 hours",
    ),
    _c(
        "device_cards_7d",
        "velocity_distinct",
        _PLACED,
        DEVICE,
        "7d",
        "{v} different cards used from this device in 7 days",
    ),
    _c(
        "device_emails_7d",
        "velocity_distinct",
        "order.account",
        DEVICE,
        "7d",
        "{v} different e-mail addresses on this device in 7 days",
    ),
    _c(
        "device_small_1h",
        "velocity",
        "order.small",
        DEVICE,
        "1h",
        "{v} tiny orders from this device in the last hour",
    ),
    _c(
        "device_declines_1h",
        "velocity",
        _DECL,
        DEVICE,
        "1h",
        "{v} declined payments from this device in the last hour",
    ),
    _c(
        "device_chargebacks_90d",
        "velocity",
        _CB,
        DEVICE,
        "90d",
        "{v} fraud chargebacks from this device in 90 days",
    ),
    _c(
        "ip_orders_1h",
        "velocity",
        _PLACED,
        IP,
        "1h",
        "{v} orders from this IP address in the last hour",
    ),
    _c(
        "ip_cards_24h",
        "velocity_distinct",
        _PLACED,
        IP,
        "24h",
        "{v} different cards from this IP address in 24 hours",
    ),
    _c(
        "ip_declines_1h",
        "velocity",
        _DECL,
        IP,
        "1h",
        "{v} declined payments from this IP address in the last hour",
    ),
    _c(
        "address_orders_7d",
        "velocity",
        _PLACED,
        ADDR,
        "7d",
        "{v} orders shipped to this address in 7 days",
    ),
    _c(
        "address_cards_7d",
        "velocity_distinct",
        _PLACED,
        ADDR,
        "7d",
        "{v} different cards shipping to this address in 7 days",
    ),
    _c(
        "address_accounts_30d",
        "velocity_distinct",
        "order.account",
        ADDR,
        "30d",
        "{v} different accounts shipping to this address in 30 days",
    ),
    _c(
        "address_chargebacks_90d",
        "velocity",
        _CB,
        ADDR,
        "90d",
        "{v} fraud chargebacks on orders to this address in 90 days",
    ),
    _c(
        "merchant_orders_24h",
        "velocity",
        _PLACED,
        MERCH,
        "24h",
        "{v} orders at this merchant in 24 hours",
    ),
    _c(
        "merchant_orders_7d",
        "velocity",
        _PLACED,
        MERCH,
        "7d",
        "{v} orders at this merchant in 7 days",
    ),
    _c(
        "merchant_orders_8d",
        "velocity",
        _PLACED,
        MERCH,
        "8d",
        "{v} orders at this merchant in 8 days",
    ),
    _c(
        "merchant_orders_14d",
        "velocity",
        _PLACED,
        MERCH,
        "14d",
        "{v} orders at this merchant in 14 days",
    ),
    _c(
        "merchant_orders_37d",
        "velocity",
        _PLACED,
        MERCH,
        "37d",
        "{v} orders at this merchant in 37 days",
    ),
    _c(
        "merchant_eur_30d",
        "velocity_sum",
        _PLACED,
        MERCH,
        "30d",
        "EUR {v} sold by this merchant in 30 days",
    ),
    _c(
        "merchant_orders_30d",
        "velocity",
        _PLACED,
        MERCH,
        "30d",
        "{v} orders at this merchant in 30 days",
    ),
    _c(
        "merchant_chargebacks_1d",
        "velocity",
        _CB,
        MERCH,
        "1d",
        "{v} fraud chargebacks at this merchant in the last day",
    ),
    _c(
        "merchant_chargebacks_7d",
        "velocity",
        _CB,
        MERCH,
        "7d",
        "{v} fraud chargebacks at this merchant in 7 days",
    ),
    _c(
        "merchant_chargebacks_30d",
        "velocity",
        _CB,
        MERCH,
        "30d",
        "{v} fraud chargebacks at this merchant in 30 days",
    ),
)


@dataclass(frozen=True, slots=True)
class Derived:
    name: str
    compute: Callable[[OrderPayload, Event, dict[str, float]], float]
    text: str


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 and not math.isnan(den) and not math.isnan(num) else NAN


def _prior_average(c: dict[str, float], entity: str, short: str, long: str) -> float:
    """Average order in (t - long, t - short]: the customer's habit before any recent burst."""
    count = c[f"{entity}_orders_{long}"] - c[f"{entity}_orders_{short}"]
    return _ratio(c[f"{entity}_eur_{long}"] - c[f"{entity}_eur_{short}"], count)


def _mismatch(a: str | None, b: str | None) -> float:
    return NAN if not a or not b else float(a != b)


def _countries(o: OrderPayload) -> dict[str, str | None]:
    return {
        "card": o.payment.issuing_country,
        "ip": o.ip_country,
        "billing": o.billing_address.country if o.billing_address else None,
        "shipping": o.shipping_address.country if o.shipping_address else None,
    }


def _local(o: OrderPayload, e: Event) -> datetime:
    country = _countries(o)
    tz = zone(o.timezone, country["billing"] or country["ip"] or country["shipping"])
    return e.occurred_at.astimezone(tz) if tz else e.occurred_at


def _high_risk_share(o: OrderPayload) -> float:
    if not o.items:
        return NAN
    risky = reference().high_risk_categories
    values = [(float(i.unit_price) * i.quantity, i.category.lower() in risky) for i in o.items]
    total = sum(v for v, _ in values)
    if total == 0:
        return float(any(r for _, r in values))
    return sum(v for v, r in values if r) / total


def _account_age_days(o: OrderPayload, e: Event) -> float:
    if o.account_created_at is None:
        return NAN
    return max(0.0, (e.occurred_at - o.account_created_at).total_seconds() / 86400)


def _first(c: dict[str, float], name: str) -> float:
    return NAN if math.isnan(c[name]) else float(c[name] <= 1)


DERIVED: tuple[Derived, ...] = (
    Derived("amount_eur", lambda o, e, c: o.amount_eur, "an order of EUR {v}"),
    Derived(
        "amount_vs_card_30d",
        lambda o, e, c: _ratio(o.amount_eur, _ratio(c["card_eur_30d"], c["card_orders_30d"])),
        "{v}x this card's average order of the last 30 days",
    ),
    Derived(
        "amount_vs_card_before_7d",
        lambda o, e, c: _ratio(o.amount_eur, _prior_average(c, "card", "7d", "30d")),
        "{v}x this card's average order before the last week",
    ),
    Derived(
        "amount_vs_card_before_7d_90d",
        lambda o, e, c: _ratio(o.amount_eur, _prior_average(c, "card", "7d", "90d")),
        "{v}x this card's average order in the three months before the last week",
    ),
    Derived(
        "amount_vs_card_before_14d_90d",
        lambda o, e, c: _ratio(o.amount_eur, _prior_average(c, "card", "14d", "90d")),
        "{v}x this card's average order in the three months before the last two weeks",
    ),
    Derived(
        "card_recent_vs_before_7d",
        lambda o, e, c: _ratio(
            _ratio(c["card_eur_7d"], c["card_orders_7d"]), _prior_average(c, "card", "7d", "90d")
        ),
        "this card's orders of the last week average {v}x its earlier orders",
    ),
    Derived(
        "amount_vs_account_90d",
        lambda o, e, c: _ratio(o.amount_eur, _ratio(c["account_eur_90d"], c["account_orders_90d"])),
        "{v}x this account's average order",
    ),
    Derived(
        "amount_vs_merchant_30d",
        lambda o, e, c: _ratio(
            o.amount_eur, _ratio(c["merchant_eur_30d"], c["merchant_orders_30d"])
        ),
        "{v}x this merchant's average order",
    ),
    Derived(
        "merchant_chargeback_rate_1d",
        lambda o, e, c: _ratio(
            c["merchant_chargebacks_1d"], c["merchant_orders_8d"] - c["merchant_orders_7d"]
        ),
        "{v:.0%} of this merchant's orders of one day a week ago were charged back as fraud",
    ),
    Derived(
        "merchant_chargeback_rate_7d",
        lambda o, e, c: _ratio(
            c["merchant_chargebacks_7d"], c["merchant_orders_14d"] - c["merchant_orders_7d"]
        ),
        "{v:.0%} of this merchant's orders from the week before last were charged back as fraud",
    ),
    Derived(
        "merchant_chargeback_rate_30d",
        lambda o, e, c: _ratio(
            c["merchant_chargebacks_30d"], c["merchant_orders_37d"] - c["merchant_orders_7d"]
        ),
        "{v:.0%} of this merchant's orders of the month before last week were charged back",
    ),
    Derived(
        "card_country_vs_ip",
        lambda o, e, c: _mismatch(_countries(o)["card"], _countries(o)["ip"]),
        "the card's issuing country differs from the IP address's country",
    ),
    Derived(
        "card_country_vs_billing",
        lambda o, e, c: _mismatch(_countries(o)["card"], _countries(o)["billing"]),
        "the card's issuing country differs from the billing country",
    ),
    Derived(
        "card_country_vs_shipping",
        lambda o, e, c: _mismatch(_countries(o)["card"], _countries(o)["shipping"]),
        "the card's issuing country differs from the shipping country",
    ),
    Derived(
        "billing_vs_shipping",
        lambda o, e, c: _mismatch(_countries(o)["billing"], _countries(o)["shipping"]),
        "billing and shipping countries differ",
    ),
    Derived(
        "ip_vs_shipping",
        lambda o, e, c: _mismatch(_countries(o)["ip"], _countries(o)["shipping"]),
        "the IP address is in another country than the shipping address",
    ),
    Derived(
        "disposable_email",
        lambda o, e, c: NAN if o.email is None else float(is_disposable(o.email_domain)),
        "the e-mail address is from a disposable-mail provider",
    ),
    Derived(
        "first_order_of_email",
        lambda o, e, c: _first(c, "email_orders_365d"),
        "the first order TradeGuard has seen from this e-mail address",
    ),
    Derived(
        "first_order_of_account",
        lambda o, e, c: _first(c, "account_orders_365d"),
        "the first order on this account",
    ),
    Derived("account_age_days", lambda o, e, c: _account_age_days(o, e), "an account {v} days old"),
    Derived(
        "high_risk_share",
        lambda o, e, c: _high_risk_share(o),
        "{v:.0%} of the order's value is in high-risk categories (electronics, gift cards...)",
    ),
    Derived(
        "items",
        lambda o, e, c: float(sum(i.quantity for i in o.items)) if o.items else NAN,
        "{v} items in the order",
    ),
    Derived(
        "local_hour",
        lambda o, e, c: _local(o, e).hour + _local(o, e).minute / 60,
        "placed at {v:.0f}h the buyer's local time",
    ),
    Derived("weekend", lambda o, e, c: float(_local(o, e).weekday() >= 5), "placed at the weekend"),
    Derived(
        "payment_type", lambda o, e, c: float(PAYMENT_TYPES.index(o.payment.type)), "paid by {v}"
    ),
)


_ALL: tuple[Counted | Derived, ...] = (*COUNTED, *DERIVED)


class OrderFeatures:
    """``FeatureSet`` for ``order`` events (see ``engine.features``)."""

    version: ClassVar[str] = "order-features@1"
    names: ClassVar[tuple[str, ...]] = tuple(f.name for f in _ALL)
    calls: ClassVar[tuple[CounterCall, ...]] = tuple(f.call for f in COUNTED)
    _text: ClassVar[dict[str, str]] = {f.name: f.text for f in _ALL}

    def vector(self, event: Event, counters: CounterValues) -> list[float]:
        order = event.payload
        assert isinstance(order, OrderPayload)
        counted = {f.name: _number(counters.get(f.call)) / f.unit for f in COUNTED}
        return [*counted.values(), *(d.compute(order, event, counted) for d in DERIVED)]

    def explain(self, name: str, value: float) -> str:
        if name == "payment_type" and not math.isnan(value):
            return self._text[name].format(v=PAYMENT_TYPES[int(value)].replace("_", " "))
        if "{v:" in self._text[name]:
            return self._text[name].format(v=value)
        return self._text[name].format(v=_show(value))


def _number(value: float | None) -> float:
    return NAN if value is None else float(value)


def _show(value: float) -> str:
    if math.isnan(value):
        return "unknown"
    return f"{value:,.0f}" if value.is_integer() or abs(value) >= 100 else f"{value:,.1f}"


ORDER_FEATURES = OrderFeatures()
