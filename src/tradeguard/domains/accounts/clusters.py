"""Linked-account clusters: the accounts that share a device, phone, card, inbox or IP with one.

A breadth-first walk over ``event_entities``: from the accounts found so far to the linking
entities their sign-up, login and order events carry, and from those entities to the other
accounts that carry them. Three bounds keep every query small whatever the data holds:

- depth (default 2): accounts two links away; further out it is mostly coincidence;
- an account cap (default 50): past it the answer says ``truncated``, strongest links kept;
- a degree cap per entity: an entity on more accounts than its cap (a carrier NAT address
  used by hundreds, a shop's kiosk tablet) is reported in ``common`` and not followed, or a
  single shared address would glue unrelated customers into one "ring". IPs get a lower cap
  than devices, phones, cards and inboxes, which people share far less.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, case, distinct, func, or_, select
from sqlalchemy.orm import Session, aliased

from tradeguard.engine.tables import CaseRecord, EventEntity, EventRecord, VerdictRecord
from tradeguard.errors import NotFound

# Strongest first: when the account cap cuts the walk, a shared device wins over a shared IP.
LINK_TYPES = ("device", "phone", "card_fingerprint", "mailbox", "email", "ip")
# Kinds whose own entities link accounts; an order_outcome only repeats its order's entities.
LINK_KINDS = ("signup", "login", "order")
DEFAULT_DEGREE_CAP = 25  # accounts on one device, phone, card or inbox
DEGREE_CAPS: Mapping[str, int] = {"ip": 10}  # a household or small office, not a carrier NAT
MAX_DEPTH = 3
MAX_ENTITIES = 300  # linking entities followed per step: a roaming phone collects many IPs
CASES_SHOWN = 5
CASES_READ = 500
OPEN = ("open", "claimed")

Key = tuple[str, str]  # (entity type, entity value)


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
    case_ids: list[int]  # newest first, at most CASES_SHOWN
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
    if not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth must be 1 to {MAX_DEPTH}")
    if not _known(session, account_id):
        raise NotFound(f"no events for account {account_id!r}")
    walk = _Walk(account_id, max_accounts, {**DEGREE_CAPS, **(degree_caps or {})})
    types = tuple(t for t in LINK_TYPES if follow_ip or t != "ip")
    frontier = [account_id]
    for level in range(1, depth + 1):
        frontier = walk.step(session, frontier, level, types)
        if not frontier:
            break
    return walk.result(session, depth)


@dataclass
class _Walk:
    """The state of one breadth-first walk: who was reached, at which depth, through what."""

    root: str
    max_accounts: int
    caps: Mapping[str, int]
    depth: dict[str, int] = field(default_factory=dict)
    links: dict[tuple[str, str, str, str], Link] = field(default_factory=dict)
    via: dict[str, list[Link]] = field(default_factory=lambda: defaultdict(list))
    followed: set[Key] = field(default_factory=set)
    common: dict[Key, int] = field(default_factory=dict)
    truncated: bool = False

    def __post_init__(self) -> None:
        self.depth[self.root] = 0

    def step(
        self, session: Session, frontier: list[str], level: int, types: tuple[str, ...]
    ) -> list[str]:
        """Follow every new linking entity of ``frontier``; return the accounts first met."""
        held = _entities_of(session, frontier, types)
        keys = sorted((k for k in held if k not in self.followed), key=_strength)
        if len(keys) > MAX_ENTITIES:
            keys, self.truncated = keys[:MAX_ENTITIES], True
        self.followed.update(keys)
        degrees = _degrees(session, keys)
        linkable = []
        for key in keys:
            if degrees.get(key, 0) > self.caps.get(key[0], DEFAULT_DEGREE_CAP):
                self.common[key] = degrees[key]
            elif degrees.get(key, 0) > 1:
                linkable.append(key)
        holders = _holders(session, linkable)
        met: list[str] = []
        for key in linkable:
            for other in sorted(holders[key]):
                for mine in sorted(held[key]):
                    self._join(mine, other, key, level, met)
        return met

    def _join(self, mine: str, other: str, key: Key, level: int, met: list[str]) -> None:
        if mine == other:
            return
        if other not in self.depth:
            if len(self.depth) >= self.max_accounts:
                self.truncated = True
                return
            self.depth[other] = level
            met.append(other)
        near, far = sorted((mine, other), key=lambda a: self.depth[a])
        link = Link(account=near, other=far, entity_type=key[0], entity_value=key[1])
        low, high = sorted((mine, other))
        pair = (low, high, *key)
        if pair in self.links:
            return
        self.links[pair] = link
        if self.depth[far] == self.depth[near] + 1:
            self.via[far].append(link)

    def result(self, session: Session, depth: int) -> Cluster:
        accounts = list(self.depth)
        stats = _stats(session, accounts)
        cases = _case_ids(session, accounts)
        found = [
            LinkedAccount(
                account_id=a,
                depth=self.depth[a],
                **stats[a],
                case_ids=cases.get(a, [])[:CASES_SHOWN],
                via=self.via.get(a, []),
            )
            for a in accounts
        ]
        found.sort(key=lambda n: (n.depth, -(n.blocked + n.reviewed), n.account_id))
        return Cluster(
            account_id=self.root,
            depth=depth,
            accounts=found,
            links=sorted(self.links.values(), key=_link_order),
            common=[
                CommonEntity(entity_type=t, entity_value=v, accounts=n)
                for (t, v), n in sorted(self.common.items(), key=lambda kv: _strength(kv[0]))
            ],
            truncated=self.truncated,
        )


def _strength(key: Key) -> tuple[int, str]:
    return LINK_TYPES.index(key[0]), key[1]


def _link_order(link: Link) -> tuple[int, str, str, str]:
    return LINK_TYPES.index(link.entity_type), link.entity_value, link.account, link.other


def _known(session: Session, account_id: str) -> bool:
    query = select(EventEntity.event_pk).where(
        EventEntity.entity_type == "account", EventEntity.entity_value == account_id
    )
    return session.scalar(query.limit(1)) is not None


def _matching(entity: Any, keys: Iterable[Key]) -> ColumnElement[bool]:
    """``(type, value) IN keys``, written per type so SQLite and PostgreSQL read it alike."""
    by_type: dict[str, set[str]] = defaultdict(set)
    for entity_type, value in keys:
        by_type[entity_type].add(value)
    return or_(
        *(
            and_(entity.entity_type == t, entity.entity_value.in_(sorted(values)))
            for t, values in sorted(by_type.items())
        )
    )


def _pairs(query: Callable[[Any, Any], Select[Any]]) -> tuple[Select[Any], Any]:
    """``query(account, linked)`` over events of linking kinds: their account and another entity.

    Returns the statement and the linked side, for the caller's own conditions.
    """
    acct, linked = aliased(EventEntity, name="acct"), aliased(EventEntity, name="linked")
    statement = (
        query(acct, linked)
        .select_from(acct)
        .join(linked, linked.event_pk == acct.event_pk)
        .join(EventRecord, EventRecord.id == acct.event_pk)
        .where(acct.entity_type == "account", EventRecord.kind.in_(LINK_KINDS))
    )
    return statement, (acct, linked)


def _held(session: Session, statement: Select[Any]) -> dict[Key, set[str]]:
    found: dict[Key, set[str]] = defaultdict(set)
    for entity_type, value, account in session.execute(statement):
        found[(entity_type, value)].add(account)
    return found


def _triples(acct: Any, linked: Any) -> Select[Any]:
    return select(linked.entity_type, linked.entity_value, acct.entity_value).distinct()


def _entities_of(
    session: Session, accounts: list[str], types: tuple[str, ...]
) -> dict[Key, set[str]]:
    """Every linking entity the accounts' events carry, with which of the accounts carry it."""
    statement, (acct, linked) = _pairs(_triples)
    return _held(
        session,
        statement.where(acct.entity_value.in_(accounts), linked.entity_type.in_(types)),
    )


def _holders(session: Session, keys: list[Key]) -> dict[Key, set[str]]:
    """Every account whose events carry one of the entities (each within its degree cap)."""
    if not keys:
        return {}
    statement, (_, linked) = _pairs(_triples)
    return _held(session, statement.where(_matching(linked, keys)))


def _degrees(session: Session, keys: list[Key]) -> dict[Key, int]:
    """How many accounts carry each entity, counted before any of them is fetched."""
    if not keys:
        return {}
    statement, (_, linked) = _pairs(
        lambda acct, linked: select(
            linked.entity_type, linked.entity_value, func.count(distinct(acct.entity_value))
        )
    )
    statement = statement.where(_matching(linked, keys)).group_by(
        linked.entity_type, linked.entity_value
    )
    return {(t, v): int(n) for t, v, n in session.execute(statement)}


def _stats(session: Session, accounts: list[str]) -> dict[str, dict[str, Any]]:
    """Per account, over all its events: when it was seen and how its verdicts went."""
    decision = VerdictRecord.decision
    query = (
        select(
            EventEntity.entity_value,
            func.min(EventRecord.occurred_at),
            func.max(EventRecord.occurred_at),
            func.count(),
            func.sum(case((decision == "block", 1), else_=0)),
            func.sum(case((decision == "review", 1), else_=0)),
            func.sum(case((CaseRecord.status.in_(OPEN), 1), else_=0)),
        )
        .select_from(EventEntity)
        .join(EventRecord, EventRecord.id == EventEntity.event_pk)
        .outerjoin(VerdictRecord, VerdictRecord.event_pk == EventRecord.id)
        .outerjoin(CaseRecord, CaseRecord.event_pk == EventRecord.id)
        .where(EventEntity.entity_type == "account", EventEntity.entity_value.in_(accounts))
        .group_by(EventEntity.entity_value)
    )
    names = ("first_seen", "last_seen", "events", "blocked", "reviewed", "open_cases")
    return {row[0]: dict(zip(names, row[1:], strict=True)) for row in session.execute(query)}


def _case_ids(session: Session, accounts: list[str]) -> dict[str, list[int]]:
    """Each account's cases, open ones first, newest first."""
    query = (
        select(EventEntity.entity_value, CaseRecord.id)
        .select_from(EventEntity)
        .join(CaseRecord, CaseRecord.event_pk == EventEntity.event_pk)
        .where(EventEntity.entity_type == "account", EventEntity.entity_value.in_(accounts))
        .order_by(case((CaseRecord.status.in_(OPEN), 0), else_=1), CaseRecord.id.desc())
        .limit(CASES_READ)
    )
    found: dict[str, list[int]] = defaultdict(list)
    for account, case_id in session.execute(query):
        found[account].append(case_id)
    return found
