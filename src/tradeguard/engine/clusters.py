"""Clusters: who else shares a device, phone, bank account or director with one account or merchant.

A breadth-first walk over ``event_entities``: from the members found so far (accounts,
merchants: the spec's ``root`` entity type) to the linking entities their events carry, and
from those entities to the other members that carry them. Three bounds keep every query small
whatever the data holds:

- depth (default 2): members two links away; further out it is mostly coincidence;
- a member cap (default 50): past it the answer says ``truncated``, strongest links kept;
- a degree cap per entity: an entity on more members than its cap (a carrier NAT address, a
  registered-agent address used by hundreds of companies) is reported in ``common`` and not
  followed, or one shared hub would glue unrelated members into one "ring".

The spec says what a member is and what links members; the domains wrap the answer in their
own words (``domains/accounts/clusters.py``, ``domains/merchants/rings.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, distinct, func, or_, select
from sqlalchemy.orm import Session, aliased

from tradeguard.engine.tables import CaseRecord, EventEntity, EventRecord, VerdictRecord
from tradeguard.errors import NotFound

MAX_ENTITIES = 300  # linking entities followed per step: a roaming phone collects many IPs
CASES_SHOWN = 5
CASES_READ = 500
OPEN = ("open", "claimed")

Key = tuple[str, str]  # (link type, entity value)


@dataclass(frozen=True, slots=True)
class ClusterSpec:
    """What a cluster is made of: its members' entity type and the entities that link them.

    ``stored_as`` names the entity types a link type is stored under when one event carries
    several of it (a merchant's second director as ``person.2``): a person is the same link
    whichever slot it sits in.
    """

    root: str  # the members' entity type: "account", "merchant"
    kinds: tuple[str, ...]  # kinds whose own entities link members
    link_types: tuple[str, ...]  # strongest first: a cut drops the weakest links
    default_cap: int = 25
    caps: Mapping[str, int] = field(default_factory=dict)
    max_depth: int = 3
    stored_as: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def cap(self, link_type: str) -> int:
        return self.caps.get(link_type, self.default_cap)

    def stored(self, link_type: str) -> tuple[str, ...]:
        return self.stored_as.get(link_type, (link_type,))

    def families(self) -> dict[str, str]:
        """Each stored ``event_entities`` type and the link type it belongs to."""
        return {s: t for t in self.link_types for s in self.stored(t)}


@dataclass(frozen=True, slots=True)
class Link:
    """Two members that share one entity; ``member`` is the one nearer the root.

    An entity is followed once, from the members that reached it, so its holders form a star
    around them rather than every pair (k holders would otherwise draw k^2 lines).
    """

    member: str
    other: str
    entity_type: str
    entity_value: str


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    depth: int
    first_seen: datetime
    last_seen: datetime
    events: int
    blocked: int
    reviewed: int
    open_cases: int
    case_ids: list[int]  # open ones first, then newest first, at most CASES_SHOWN
    latest_decision: str | None  # the verdict on its last stored event
    via: list[Link]  # how it joined: its links to members one step nearer the root

    def activity(self) -> dict[str, Any]:
        """What every domain's member model shows, whatever it calls the member's id."""
        return {
            "depth": self.depth,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "events": self.events,
            "blocked": self.blocked,
            "reviewed": self.reviewed,
            "open_cases": self.open_cases,
            "case_ids": self.case_ids,
        }


@dataclass(frozen=True, slots=True)
class CommonEntity:
    """An entity on too many members to say anything about them, so it was not followed."""

    entity_type: str
    entity_value: str
    members: int


@dataclass(frozen=True, slots=True)
class Cluster:
    root: str
    depth: int
    members: list[Member]  # the root first, then by depth, the riskiest first
    links: list[Link]
    common: list[CommonEntity]
    truncated: bool


def find_cluster(
    session: Session,
    spec: ClusterSpec,
    root: str,
    *,
    depth: int = 2,
    max_members: int = 50,
    link_types: Iterable[str] | None = None,
    degree_caps: Mapping[str, int] | None = None,
) -> Cluster:
    """The members linked to ``root``, how they are linked and what they did.

    ``link_types`` narrows the spec's links (an analyst leaving IPs out); ``degree_caps``
    overrides its caps for one walk.
    """
    if not 1 <= depth <= spec.max_depth:
        raise ValueError(f"depth must be 1 to {spec.max_depth}")
    if not _known(session, spec, root):
        raise NotFound(f"no events for {spec.root} {root!r}")
    wanted = set(spec.link_types if link_types is None else link_types)
    types = tuple(t for t in spec.link_types if t in wanted)
    walk = _Walk(spec, root, max_members, {**spec.caps, **(degree_caps or {})})
    frontier = [root]
    for level in range(1, depth + 1):
        frontier = walk.step(session, frontier, level, types)
        if not frontier:
            break
    return walk.result(session, depth)


@dataclass
class _Walk:
    """The state of one breadth-first walk: who was reached, at which depth, through what."""

    spec: ClusterSpec
    root: str
    max_members: int
    caps: Mapping[str, int]
    depth: dict[str, int] = field(default_factory=dict)
    links: dict[tuple[str, str, str, str], Link] = field(default_factory=dict)
    via: dict[str, list[Link]] = field(default_factory=lambda: defaultdict(list))
    followed: set[Key] = field(default_factory=set)
    common: dict[Key, int] = field(default_factory=dict)
    truncated: bool = False
    sql: _Sql = field(init=False)

    def __post_init__(self) -> None:
        self.depth[self.root] = 0
        self.sql = _Sql(self.spec)

    def step(
        self, session: Session, frontier: list[str], level: int, types: tuple[str, ...]
    ) -> list[str]:
        """Follow every new linking entity of ``frontier``; return the members first met."""
        sql = self.sql
        held = sql.entities_of(session, frontier, types)
        keys = sorted((k for k in held if k not in self.followed), key=self._strength)
        if len(keys) > MAX_ENTITIES:
            keys, self.truncated = keys[:MAX_ENTITIES], True
        self.followed.update(keys)
        degrees = sql.degrees(session, keys)
        linkable = []
        for key in keys:
            if degrees.get(key, 0) > self.caps.get(key[0], self.spec.default_cap):
                self.common[key] = degrees[key]
            elif degrees.get(key, 0) > 1:
                linkable.append(key)
        holders = sql.holders(session, linkable)
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
            if len(self.depth) >= self.max_members:
                self.truncated = True
                return
            self.depth[other] = level
            met.append(other)
        near, far = sorted((mine, other), key=lambda a: self.depth[a])
        link = Link(member=near, other=far, entity_type=key[0], entity_value=key[1])
        low, high = sorted((mine, other))
        pair = (low, high, *key)
        if pair in self.links:
            return
        self.links[pair] = link
        if self.depth[far] == self.depth[near] + 1:
            self.via[far].append(link)

    def _strength(self, key: Key) -> tuple[int, str]:
        return self.spec.link_types.index(key[0]), key[1]

    def result(self, session: Session, depth: int) -> Cluster:
        ids = list(self.depth)
        stats = _stats(session, self.spec.root, ids)
        cases = _case_ids(session, self.spec.root, ids)
        latest = latest_decisions(session, self.spec.root, ids)
        found = [
            Member(
                id=m,
                depth=self.depth[m],
                **stats[m],
                case_ids=cases.get(m, [])[:CASES_SHOWN],
                latest_decision=latest.get(m),
                via=self.via.get(m, []),
            )
            for m in ids
        ]
        found.sort(key=lambda n: (n.depth, -(n.blocked + n.reviewed), n.id))
        order = self.spec.link_types.index
        return Cluster(
            root=self.root,
            depth=depth,
            members=found,
            links=sorted(
                self.links.values(),
                key=lambda k: (order(k.entity_type), k.entity_value, k.member, k.other),
            ),
            common=[
                CommonEntity(entity_type=t, entity_value=v, members=n)
                for (t, v), n in sorted(self.common.items(), key=lambda kv: self._strength(kv[0]))
            ],
            truncated=self.truncated,
        )


def _known(session: Session, spec: ClusterSpec, root: str) -> bool:
    query = select(EventEntity.event_pk).where(
        EventEntity.entity_type == spec.root, EventEntity.entity_value == root
    )
    return session.scalar(query.limit(1)) is not None


class _Sql:
    """The walk's three queries, over events of the spec's kinds: member joined to entity."""

    def __init__(self, spec: ClusterSpec) -> None:
        self.spec = spec
        self.families = spec.families()

    def _matching(self, entity: Any, keys: Iterable[Key]) -> ColumnElement[bool]:
        """``(type, value) IN keys``, written per type so SQLite and PostgreSQL read it alike."""
        by_type: dict[str, set[str]] = defaultdict(set)
        for link_type, value in keys:
            by_type[link_type].add(value)
        return or_(
            *(
                and_(
                    entity.entity_type.in_(self.spec.stored(t)),
                    entity.entity_value.in_(sorted(values)),
                )
                for t, values in sorted(by_type.items())
            )
        )

    def _link_type(self, entity: Any) -> Any:
        """The link type of a stored entity type, in SQL, so degrees group a family as one."""
        families = {s: t for s, t in self.families.items() if s != t}
        if not families:
            return entity.entity_type
        return case(families, value=entity.entity_type, else_=entity.entity_type)

    def _pairs(self, query: Callable[[Any, Any], Select[Any]]) -> tuple[Select[Any], Any]:
        """``query(member, linked)``: a member and another entity of one of its linking events.

        Returns the statement and both sides, for the caller's own conditions.
        """
        member, linked = aliased(EventEntity, name="member"), aliased(EventEntity, name="linked")
        statement = (
            query(member, linked)
            .select_from(member)
            .join(linked, linked.event_pk == member.event_pk)
            .join(EventRecord, EventRecord.id == member.event_pk)
            .where(member.entity_type == self.spec.root, EventRecord.kind.in_(self.spec.kinds))
        )
        return statement, (member, linked)

    def _held(self, session: Session, statement: Select[Any]) -> dict[Key, set[str]]:
        found: dict[Key, set[str]] = defaultdict(set)
        for stored, value, member in session.execute(statement):
            found[(self.families.get(stored, stored), value)].add(member)
        return found

    @staticmethod
    def _triples(member: Any, linked: Any) -> Select[Any]:
        return select(linked.entity_type, linked.entity_value, member.entity_value).distinct()

    def entities_of(
        self, session: Session, members: list[str], types: tuple[str, ...]
    ) -> dict[Key, set[str]]:
        """Every linking entity the members' events carry, with which of the members carry it."""
        stored = [s for t in types for s in self.spec.stored(t)]
        statement, (member, linked) = self._pairs(self._triples)
        return self._held(
            session,
            statement.where(member.entity_value.in_(members), linked.entity_type.in_(stored)),
        )

    def holders(self, session: Session, keys: list[Key]) -> dict[Key, set[str]]:
        """Every member whose events carry one of the entities (each within its degree cap)."""
        if not keys:
            return {}
        statement, (_, linked) = self._pairs(self._triples)
        return self._held(session, statement.where(self._matching(linked, keys)))

    def degrees(self, session: Session, keys: list[Key]) -> dict[Key, int]:
        """How many members carry each entity, counted before any of them is fetched."""
        if not keys:
            return {}

        def count(member: Any, linked: Any) -> Select[Any]:
            # Grouped by the label: PostgreSQL sees the CASE's parameters as new expressions.
            kind = self._link_type(linked).label("link_type")
            counted = func.count(distinct(member.entity_value))
            return select(kind, linked.entity_value, counted).group_by(kind, linked.entity_value)

        statement, (_, linked) = self._pairs(count)
        statement = statement.where(self._matching(linked, keys))
        return {(t, v): int(n) for t, v, n in session.execute(statement)}


def _stats(session: Session, root: str, members: list[str]) -> dict[str, dict[str, Any]]:
    """Per member, over all its events: when it was seen and how its verdicts went."""
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
        .where(EventEntity.entity_type == root, EventEntity.entity_value.in_(members))
        .group_by(EventEntity.entity_value)
    )
    names = ("first_seen", "last_seen", "events", "blocked", "reviewed", "open_cases")
    return {row[0]: dict(zip(names, row[1:], strict=True)) for row in session.execute(query)}


def _case_ids(session: Session, root: str, members: list[str]) -> dict[str, list[int]]:
    """Each member's cases, open ones first, newest first."""
    query = (
        select(EventEntity.entity_value, CaseRecord.id)
        .select_from(EventEntity)
        .join(CaseRecord, CaseRecord.event_pk == EventEntity.event_pk)
        .where(EventEntity.entity_type == root, EventEntity.entity_value.in_(members))
        .order_by(case((CaseRecord.status.in_(OPEN), 0), else_=1), CaseRecord.id.desc())
        .limit(CASES_READ)
    )
    found: dict[str, list[int]] = defaultdict(list)
    for member, case_id in session.execute(query):
        found[member].append(case_id)
    return found


def latest_events(
    session: Session, root: str, members: list[str], *, kinds: Iterable[str] | None = None
) -> dict[str, int]:
    """Each member's last stored event (of ``kinds``, when given) as its ``events.id``."""
    query = (
        select(EventEntity.entity_value, func.max(EventEntity.event_pk))
        .where(EventEntity.entity_type == root, EventEntity.entity_value.in_(members))
        .group_by(EventEntity.entity_value)
    )
    if kinds is not None:
        query = query.join(EventRecord, EventRecord.id == EventEntity.event_pk).where(
            EventRecord.kind.in_(tuple(kinds))
        )
    return {member: int(pk) for member, pk in session.execute(query)}


def latest_decisions(
    session: Session, root: str, members: list[str], *, kinds: Iterable[str] | None = None
) -> dict[str, str]:
    """Each member's verdict on its last stored event (of ``kinds``, when given)."""
    newest = latest_events(session, root, members, kinds=kinds) if members else {}
    if not newest:
        return {}
    query = select(VerdictRecord.event_pk, VerdictRecord.decision).where(
        VerdictRecord.event_pk.in_(sorted(newest.values()))
    )
    decided: dict[int, str] = dict(session.execute(query).all())
    return {m: decided[pk] for m, pk in newest.items() if pk in decided}
