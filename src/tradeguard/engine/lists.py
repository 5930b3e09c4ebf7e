"""Allow and block lists per entity type, with reasons and expiry.

Values are normalised on the way in and on look-up, so ``Bob@Example.COM`` on a list matches
``bob@example.com`` in an event. IP entries may be networks (CIDR); those are few in practice,
so a look-up fetches them and matches in Python rather than teaching SQL about prefixes.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from tradeguard.db.base import utcnow
from tradeguard.engine import audit
from tradeguard.engine.tables import ListEntry
from tradeguard.engine.verdicts import ALLOW_LIST_CODE, BLOCK_LIST_CODE, Signal
from tradeguard.errors import Conflict, Invalid, NotFound

ListName = Literal["allow", "block"]
ENTITY_TYPES = (
    "account",
    "email",
    "email_domain",
    "ip",
    "card_fingerprint",
    "bin",
    "device",
    "address_hash",
)
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class ListEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    list_name: str
    entity_type: str
    value: str
    reason: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    removed_at: datetime | None


def normalise(entity_type: str, value: str) -> tuple[str, bool]:
    """Canonical form of a value and whether it is an IP network; ``Invalid`` if it cannot be."""
    value = value.strip()
    if entity_type not in ENTITY_TYPES:
        raise Invalid(f"entity type {entity_type!r} is not one of {', '.join(ENTITY_TYPES)}")
    if not value or len(value) > 512:
        raise Invalid(f"{entity_type} value must be 1 to 512 characters")
    if entity_type == "ip":
        return _normalise_ip(value)
    if entity_type == "email":
        local, at, domain = value.rpartition("@")
        if not at or not local or not _DOMAIN.match(_idna(domain)):
            raise Invalid(f"{value!r} is not an email address")
        return f"{local.lower()}@{_idna(domain)}", False
    if entity_type == "email_domain":
        domain = _idna(value.lstrip("@"))
        if not _DOMAIN.match(domain):
            raise Invalid(f"{value!r} is not a domain name")
        return domain, False
    if entity_type == "bin" and not (value.isdigit() and 6 <= len(value) <= 8):
        raise Invalid("a BIN is 6 to 8 digits")
    return value, False


def _normalise_ip(value: str) -> tuple[str, bool]:
    try:
        if "/" in value:
            network = ipaddress.ip_network(value, strict=False)
            if network.num_addresses > 1:
                return str(network), True
            return str(network.network_address), False
        return str(ipaddress.ip_address(value)), False
    except ValueError:
        raise Invalid(f"{value!r} is not an IP address or CIDR network") from None


def _idna(domain: str) -> str:
    try:
        return domain.lower().encode("idna").decode("ascii")
    except UnicodeError:
        return domain.lower()


def add_entry(
    session: Session,
    *,
    list_name: ListName,
    entity_type: str,
    value: str,
    reason: str,
    actor: str,
    expires_at: datetime | None = None,
) -> ListEntry:
    if list_name not in ("allow", "block"):
        raise Invalid("list must be 'allow' or 'block'")
    if not reason.strip():
        raise Invalid("a list entry needs a reason")
    if expires_at is not None and expires_at <= utcnow():
        raise Invalid("expires_at is in the past")
    canonical, is_network = normalise(entity_type, value)
    if _active(session, entity_type, canonical, list_name) is not None:
        raise Conflict(f"{entity_type} {canonical} is already on the {list_name} list")
    entry = ListEntry(
        list_name=list_name,
        entity_type=entity_type,
        value=canonical,
        is_network=is_network,
        reason=reason.strip(),
        created_by=actor,
        expires_at=expires_at,
    )
    audit.created(
        session,
        actor=actor,
        action="list.add",
        target_type="list_entry",
        row=entry,
        schema=ListEntryRead,
    )
    return entry


def _active(session: Session, entity_type: str, value: str, list_name: str) -> ListEntry | None:
    now = utcnow()
    return session.scalars(
        select(ListEntry).where(
            ListEntry.entity_type == entity_type,
            ListEntry.value == value,
            ListEntry.list_name == list_name,
            ListEntry.removed_at.is_(None),
            or_(ListEntry.expires_at.is_(None), ListEntry.expires_at > now),
        )
    ).first()


def _active_entry(session: Session, entry_id: int) -> ListEntry:
    entry = session.get(ListEntry, entry_id)
    if entry is None or entry.removed_at is not None:
        raise NotFound(f"no active list entry {entry_id}")
    return entry


def _tracked(session: Session, entry: ListEntry, actor: str, action: str) -> Any:
    return audit.tracked(
        session,
        actor=actor,
        action=action,
        target_type="list_entry",
        row=entry,
        schema=ListEntryRead,
    )


def remove_entry(session: Session, *, entry_id: int, actor: str) -> ListEntry:
    entry = _active_entry(session, entry_id)
    with _tracked(session, entry, actor, "list.remove"):
        entry.removed_at, entry.removed_by = utcnow(), actor
    return entry


def expire_entry(session: Session, *, entry_id: int, expires_at: datetime, actor: str) -> ListEntry:
    entry = _active_entry(session, entry_id)
    with _tracked(session, entry, actor, "list.expire"):
        entry.expires_at = expires_at
    return entry


def entries(
    session: Session,
    *,
    list_name: ListName | None = None,
    entity_type: str | None = None,
    include_inactive: bool = False,
    limit: int = 500,
) -> list[ListEntry]:
    query = select(ListEntry).order_by(ListEntry.id.desc()).limit(limit)
    if list_name:
        query = query.where(ListEntry.list_name == list_name)
    if entity_type:
        query = query.where(ListEntry.entity_type == entity_type)
    if not include_inactive:
        now = utcnow()
        query = query.where(
            ListEntry.removed_at.is_(None),
            or_(ListEntry.expires_at.is_(None), ListEntry.expires_at > now),
        )
    return list(session.scalars(query))


@dataclass(frozen=True, slots=True)
class ListHit:
    id: int
    list_name: str
    entity_type: str
    value: str
    is_network: bool
    reason: str


# Built once: the value list is an expanding parameter, so the statement compiles once.
_LOOKUP = select(
    ListEntry.id,
    ListEntry.list_name,
    ListEntry.entity_type,
    ListEntry.value,
    ListEntry.is_network,
    ListEntry.reason,
).where(
    or_(ListEntry.value.in_(bindparam("values", expanding=True)), ListEntry.is_network.is_(True)),
    ListEntry.removed_at.is_(None),
    or_(ListEntry.expires_at.is_(None), ListEntry.expires_at > bindparam("now")),
)


def lookup(session: Session, entities: dict[str, str], *, at: datetime) -> list[ListHit]:
    """Active entries that match any of an event's entities, in one query.

    Network entries (CIDR) come back whatever the values, and are matched here in Python:
    they are few, and SQL has no portable prefix match for addresses.
    """
    pairs: set[tuple[str, str]] = set()
    ips: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for entity_type, raw in entities.items():
        if entity_type not in ENTITY_TYPES:
            continue
        try:
            value, _ = normalise(entity_type, raw)
        except Invalid:
            continue
        pairs.add((entity_type, value))
        if entity_type == "ip":
            ips.append(ipaddress.ip_address(value))
    if not pairs:
        return []
    rows = session.connection().execute(
        _LOOKUP, {"values": sorted({v for _, v in pairs}), "now": at}
    )
    hits = [ListHit(*row) for row in rows]
    return [
        hit
        for hit in hits
        if ((hit.entity_type, hit.value) in pairs and not hit.is_network)
        or (
            hit.is_network
            and hit.entity_type == "ip"
            and any(ip in ipaddress.ip_network(hit.value) for ip in ips)
        )
    ]


def signals_for(hits: list[ListHit]) -> list[Signal]:
    signals = []
    for hit in hits:
        code = BLOCK_LIST_CODE if hit.list_name == "block" else ALLOW_LIST_CODE
        signals.append(
            Signal(
                code=f"{code}.{hit.entity_type}",
                reason=f"{hit.entity_type} {hit.value} is on the {hit.list_name} list: "
                f"{hit.reason}",
                source=f"list:{hit.id}",
                evidence={"entry_id": hit.id, "value": hit.value},
            )
        )
    return signals
