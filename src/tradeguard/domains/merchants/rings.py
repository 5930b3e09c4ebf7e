"""Merchant rings: the other merchants that share a bank account, person, phone or device with one.

Shell-company rings re-use what is expensive to fake: the account the payouts go to, the
nominee director, the phone that answers the verification call, the laptop that fills in the
forms. The walk is the engine's (``engine/clusters.py``) over the entities of ``merchant``
events; a re-screen event only repeats its merchant. Addresses and IPs get a lower degree cap:
a registered-agent address or a co-working IP is on hundreds of unrelated companies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeguard.domains.merchants import links
from tradeguard.engine import clusters as walk
from tradeguard.engine.tables import EventRecord

LINK_KINDS = links.MERCHANT_KINDS
MAX_DEPTH = 3
# The link types, their order (strongest first) and degree caps are the intake check's
# (``links.py``), so the ring an analyst walks agrees with the one the rules saw. The check
# counts the *other* merchants on a value, the walk every holder: hence the one added.
SPEC = walk.ClusterSpec(
    root="merchant",
    kinds=LINK_KINDS,
    link_types=links.LINK_TYPES,
    default_cap=links.DEFAULT_DEGREE_CAP + 1,
    caps={t: cap + 1 for t, cap in links.DEGREE_CAPS.items()},
    max_depth=MAX_DEPTH,
    stored_as={t: links.stored_types(t) for t in links.SLOTTED},
)
LINK_TYPES = SPEC.link_types


class MerchantLink(BaseModel):
    """Two merchants that share one entity; ``merchant`` is the one nearer the root."""

    merchant: str
    other: str
    entity_type: str
    entity_value: str


class LinkedMerchant(BaseModel):
    merchant_id: str
    legal_name: str | None  # from its last stored application or update
    depth: int
    first_seen: datetime
    last_seen: datetime
    events: int
    blocked: int
    reviewed: int
    open_cases: int
    case_ids: list[int]  # open ones first, then newest first, at most five
    latest_decision: str | None
    via: list[MerchantLink]  # how it joined: its links to merchants one step nearer the root


class CommonEntity(BaseModel):
    """An entity on too many merchants to say anything about them, so it was not followed."""

    entity_type: str
    entity_value: str
    merchants: int


class Ring(BaseModel):
    merchant_id: str
    depth: int
    merchants: list[LinkedMerchant]  # the root first, then by depth, the riskiest first
    links: list[MerchantLink]
    common: list[CommonEntity]
    truncated: bool


def find_ring(
    session: Session,
    merchant_id: str,
    depth: int = 2,
    *,
    max_merchants: int = 50,
    link_types: Iterable[str] | None = None,
    degree_caps: Mapping[str, int] | None = None,
) -> Ring:
    """The merchants linked to ``merchant_id``, through what, and how their screening went."""
    found = walk.find_cluster(
        session,
        SPEC,
        merchant_id,
        depth=depth,
        max_members=max_merchants,
        link_types=link_types,
        degree_caps=degree_caps,
    )
    names = legal_names(session, [m.id for m in found.members])
    return Ring(
        merchant_id=found.root,
        depth=found.depth,
        merchants=[
            LinkedMerchant(
                merchant_id=m.id,
                legal_name=names.get(m.id),
                **m.activity(),
                latest_decision=m.latest_decision,
                via=[_link(k) for k in m.via],
            )
            for m in found.members
        ],
        links=[_link(k) for k in found.links],
        common=[
            CommonEntity(
                entity_type=c.entity_type, entity_value=c.entity_value, merchants=c.members
            )
            for c in found.common
        ],
        truncated=found.truncated,
    )


def legal_names(session: Session, merchant_ids: list[str]) -> dict[str, str]:
    """Each merchant's legal name as its last stored ``merchant`` event gives it."""
    latest = walk.latest_events(session, SPEC.root, merchant_ids, kinds=LINK_KINDS)
    if not latest:
        return {}
    rows = session.execute(
        select(EventRecord.id, EventRecord.payload).where(EventRecord.id.in_(latest.values()))
    )
    payloads: dict[int, dict[str, Any]] = dict(rows.all())
    names = {m: payloads.get(pk, {}).get("legal_name") for m, pk in latest.items()}
    return {m: name for m, name in names.items() if isinstance(name, str)}


def _link(link: walk.Link) -> MerchantLink:
    return MerchantLink(
        merchant=link.member,
        other=link.other,
        entity_type=link.entity_type,
        entity_value=link.entity_value,
    )
