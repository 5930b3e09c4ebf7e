"""The ``merchant`` and ``merchant_rescreen`` kinds: entities, counters and the checks hook.

A merchant's entities (payout account, people, phone, device, addresses...) are what rings
share; ``links.py`` builds them. The counters see application farms: many new merchants
from one device or IP in a day.
"""

from __future__ import annotations

from tradeguard.domains.merchants.checks import enrich
from tradeguard.domains.merchants.links import merchant_entities
from tradeguard.domains.merchants.schemas import MerchantPayload, MerchantRescreenPayload
from tradeguard.engine.events import CounterSpec, EventKind, register_kind


def _application(merchant: MerchantPayload) -> bool:
    return merchant.action == "application"


def _merchant(merchant: MerchantPayload) -> str:
    return merchant.merchant_id


def _rescreen_entities(rescreen: MerchantRescreenPayload) -> dict[str, str]:
    return {"merchant": rescreen.merchant_id}


MERCHANT = register_kind(
    EventKind(
        name="merchant",
        payload=MerchantPayload,
        entities=merchant_entities,
        enrich=enrich,
        description=(
            "A merchant (seller) application or update: company, people, bank account and "
            "documents, checked for sanctions, identifiers, FATF jurisdictions and rings."
        ),
        counters=(
            CounterSpec("merchant.application", "device", when=_application, distinct=_merchant),
            CounterSpec("merchant.application", "ip", when=_application, distinct=_merchant),
        ),
    )
)

MERCHANT_RESCREEN = register_kind(
    EventKind(
        name="merchant_rescreen",
        payload=MerchantRescreenPayload,
        entities=_rescreen_entities,
        description=(
            "A sanctions list changed and an existing merchant now resembles a listed party."
        ),
    )
)
