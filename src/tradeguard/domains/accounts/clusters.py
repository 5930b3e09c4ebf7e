"""Linked-account clusters: the accounts that share a device, phone, card, inbox or IP with one.

The walk itself is the engine's (``engine/clusters.py``: breadth-first over ``event_entities``
with a depth, an account cap and a degree cap per entity); this module is its accounts spec
and the answer in accounts' words. Sign-up, login and order events link accounts; an
``order_outcome`` only repeats its order's entities. IPs get a lower degree cap than devices,
phones, cards and inboxes, which people share far less: a carrier NAT address used by hundreds
must not glue its customers into one "ring".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from tradeguard.engine import clusters as walk

# Strongest first: when the account cap cuts the walk, a shared device wins over a shared IP.
LINK_TYPES = ("device", "phone", "card_fingerprint", "mailbox", "email", "ip")
# Kinds whose own entities link accounts; an order_outcome only repeats its order's entities.
LINK_KINDS = ("signup", "login", "order")
DEFAULT_DEGREE_CAP = 25  # accounts on one device, phone, card or inbox
DEGREE_CAPS: Mapping[str, int] = {"ip": 10}  # a household or small office, not a carrier NAT
MAX_DEPTH = 3
SPEC = walk.ClusterSpec(
    root="account",
    kinds=LINK_KINDS,
    link_types=LINK_TYPES,
    default_cap=DEFAULT_DEGREE_CAP,
    caps=DEGREE_CAPS,
    max_depth=MAX_DEPTH,
)


class Link(BaseModel):
    """Two accounts that share one entity; ``account`` is the one nearer the root.

    An entity is followed once, from the accounts that reached it, so its holders form a star
    around them rather than every pair (k holders would otherwise draw k^2 lines).
    """

    account: str
    other: str
    entity_type: str
    entity_value: str


class LinkedAccount(BaseModel):
    account_id: str
    depth: int
    first_seen: datetime
    last_seen: datetime
    events: int
    blocked: int
    reviewed: int
    open_cases: int
    case_ids: list[int]  # open ones first, then newest first, at most five
    via: list[Link]  # how it joined: its links to accounts one step nearer the root


class CommonEntity(BaseModel):
    """An entity on too many accounts to say anything about them, so it was not followed."""

    entity_type: str
    entity_value: str
    accounts: int


class Cluster(BaseModel):
    account_id: str
    depth: int
    accounts: list[LinkedAccount]  # the root first, then by depth, the riskiest first
    links: list[Link]
    common: list[CommonEntity]
    truncated: bool


def find_cluster(
    session: Session,
    *,
    account_id: str,
    depth: int = 2,
    max_accounts: int = 50,
    follow_ip: bool = True,
    degree_caps: Mapping[str, int] | None = None,
) -> Cluster:
    """The accounts linked to ``account_id``, how they are linked and what they did."""
    found = walk.find_cluster(
        session,
        SPEC,
        account_id,
        depth=depth,
        max_members=max_accounts,
        link_types=[t for t in LINK_TYPES if follow_ip or t != "ip"],
        degree_caps=degree_caps,
    )
    return Cluster(
        account_id=found.root,
        depth=found.depth,
        accounts=[
            LinkedAccount(
                account_id=m.id,
                **m.activity(),
                via=[_link(k) for k in m.via],
            )
            for m in found.members
        ],
        links=[_link(k) for k in found.links],
        common=[
            CommonEntity(entity_type=c.entity_type, entity_value=c.entity_value, accounts=c.members)
            for c in found.common
        ],
        truncated=found.truncated,
    )


def _link(link: walk.Link) -> Link:
    return Link(
        account=link.member,
        other=link.other,
        entity_type=link.entity_type,
        entity_value=link.entity_value,
    )
