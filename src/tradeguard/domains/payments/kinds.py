"""The ``order`` and ``order_outcome`` kinds: entities, counters and the fields rules see.

Entity names match the list types (``card_fingerprint``, ``address_hash``, ``bin``...), so an
order is checked against allow and block lists with no extra code. An outcome inherits its
order's entities, which is how a chargeback lands on the card, device and merchant counters.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from tradeguard.domains.payments.features import ORDER_FEATURES
from tradeguard.domains.payments.reference import is_disposable, is_fraud_chargeback
from tradeguard.domains.payments.reference import is_fraud_decline as _fraud_decline
from tradeguard.domains.payments.schemas import Address, OrderOutcomePayload, OrderPayload
from tradeguard.engine.events import CounterSpec, EventKind, Inherit, register_kind
from tradeguard.engine.features import register_feature_set

SMALL_ORDER_EUR = 5.0  # card testers probe with tiny amounts before the real purchase
_NOT_WORD = re.compile(r"[^\w]+")


def address_hash(address: Address | None) -> str | None:
    """One key for one delivery point however it is typed: case, accents and punctuation fold."""
    if address is None or not (address.line1 or address.postal_code):
        return None
    parts = (address.line1, address.line2, address.postal_code, address.city, address.country)
    text = " ".join(p for p in parts if p)
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return hashlib.sha256(_NOT_WORD.sub(" ", folded).strip().encode()).hexdigest()[:32]


def _order_entities(order: OrderPayload) -> dict[str, str]:
    found = {
        "account": order.account_id,
        "email": order.email,
        "email_domain": order.email_domain,
        "card_fingerprint": order.payment.card_fingerprint,
        "bin": order.payment.card_bin,
        "device": order.device_id,
        "ip": str(order.ip) if order.ip else None,
        "address_hash": address_hash(order.shipping_address),
        "merchant": order.merchant_id,
    }
    return {k: v for k, v in found.items() if v}


def _rule_fields(order: OrderPayload) -> dict[str, object]:
    """Derived values rules can read as ``event.derived.*`` (the payload itself is untouched)."""
    return {
        "amount_eur": round(order.amount_eur, 2),
        "email_domain": order.email_domain,
        "disposable_email": is_disposable(order.email_domain),
        "shipping_country": order.shipping_address.country if order.shipping_address else None,
        "billing_country": order.billing_address.country if order.billing_address else None,
        "card_country": order.payment.issuing_country,
    }


def _eur(order: OrderPayload) -> float:
    return order.amount_eur


def _card(order: OrderPayload) -> str | None:
    return order.payment.card_fingerprint


def _small(order: OrderPayload) -> bool:
    return order.amount_eur < SMALL_ORDER_EUR


def is_fraud_outcome(outcome: OrderOutcomePayload) -> bool:
    """A chargeback or decline that says the cardholder did not make the purchase."""
    if outcome.fraud is not None:
        return outcome.fraud and outcome.outcome in ("chargeback", "authorization_declined")
    if outcome.outcome == "chargeback":
        return is_fraud_chargeback(outcome.reason_code)
    return outcome.outcome == "authorization_declined" and _fraud_decline(outcome.reason_code)


def _declined(outcome: OrderOutcomePayload) -> bool:
    return outcome.outcome == "authorization_declined"


def _fraud_chargeback(outcome: OrderOutcomePayload) -> bool:
    return outcome.outcome == "chargeback" and is_fraud_outcome(outcome)


ORDER = register_kind(
    EventKind(
        name="order",
        payload=OrderPayload,
        entities=_order_entities,
        rule_fields=_rule_fields,
        description="An order and its payment, screened before authorisation.",
        counters=(
            CounterSpec(
                "order.placed",
                "card_fingerprint",
                amount=_eur,
                distinct=lambda o: o.device_id,
            ),
            CounterSpec("order.placed", "email", amount=_eur, distinct=_card),
            CounterSpec("order.placed", "account", amount=_eur, distinct=_card),
            CounterSpec("order.placed", "device", amount=_eur, distinct=_card),
            CounterSpec("order.placed", "ip", amount=_eur, distinct=_card),
            CounterSpec("order.placed", "address_hash", amount=_eur, distinct=_card),
            CounterSpec("order.placed", "merchant", amount=_eur),
            CounterSpec("order.account", "address_hash", distinct=lambda o: o.account_id),
            CounterSpec("order.account", "device", distinct=lambda o: o.email),
            CounterSpec("order.small", "card_fingerprint", when=_small),
            CounterSpec("order.small", "device", when=_small, distinct=_card),
        ),
    )
)

ORDER_OUTCOME = register_kind(
    EventKind(
        name="order_outcome",
        payload=OrderOutcomePayload,
        entities=lambda o: {"order": o.order_id},
        inherit=Inherit(
            kind="order",
            id_entity="order",
            entities=(
                "account",
                "email",
                "card_fingerprint",
                "device",
                "ip",
                "address_hash",
                "merchant",
            ),
        ),
        description="A decline, chargeback, refund or confirmation learnt after the order.",
        counters=(
            CounterSpec("order.declined", "card_fingerprint", when=_declined),
            CounterSpec("order.declined", "device", when=_declined),
            CounterSpec("order.declined", "ip", when=_declined),
            CounterSpec("order.chargeback", "card_fingerprint", when=_fraud_chargeback),
            CounterSpec("order.chargeback", "email", when=_fraud_chargeback),
            CounterSpec("order.chargeback", "device", when=_fraud_chargeback),
            CounterSpec("order.chargeback", "address_hash", when=_fraud_chargeback),
            CounterSpec("order.chargeback", "merchant", when=_fraud_chargeback),
        ),
    )
)

register_feature_set("order", ORDER_FEATURES)
