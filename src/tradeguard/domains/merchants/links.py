"""What a merchant application touches (its entities), and which other merchants touch the same.

Shell-company rings re-use what is expensive to fake: the payout account, the nominee
director, the phone that answers the verification call, the laptop that fills in the forms.
Each is an entity of the ``merchant`` event; an application is linked to the merchants whose
stored applications carry the same value. A value on too many merchants (a formation agent's
address, a payment processor's IP) says nothing about any of them and is not followed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

import tldextract
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from tradeguard.domains.merchants.schemas import (
    MerchantAddress,
    MerchantPayload,
    MerchantPerson,
    RingLink,
)
from tradeguard.engine import clusters
from tradeguard.engine.tables import EventEntity, EventRecord

# Strongest first: the order links are reported in.
LINK_TYPES = (
    "bank_account",
    "registration",
    "person",
    "phone",
    "device",
    "email",
    "website",
    "address",
    "ip",
)
DEFAULT_DEGREE_CAP = 20  # other merchants on one value before it stops meaning anything
DEGREE_CAPS: Mapping[str, int] = {"address": 5, "ip": 5}
MAX_LINKS = 50  # the payload's bound on ``checks.ring``
# Stored events (of any kind) on one value beyond which it is common without counting whose
# they are, and the rows one look-up reads before it looks for such values.
MAX_EVENTS_PER_VALUE = 1000
MAX_ROWS = 5000
CHUNK = 500  # primary keys per IN list
# An event holds one value per entity type, so an application's second person is stored as
# ``person.2``, its third address as ``address.3``.
SLOTS = {"person": 30, "address": 10}  # the payload's bounds
SLOTTED = tuple(SLOTS)
MAX_ENTITY_CHARS = 512
MERCHANT_KINDS = ("merchant",)
DECISION_KINDS = ("merchant", "merchant_rescreen")


def slot(base: str, index: int) -> str:
    """``person``, ``person.2``, ``person.3``... for the first, second, third of a type."""
    return base if index == 0 else f"{base}.{index + 1}"


def base_type(entity_type: str) -> str:
    return entity_type.split(".", 1)[0]


def stored_types(base: str) -> tuple[str, ...]:
    return tuple(slot(base, i) for i in range(SLOTS.get(base, 1)))


def _plain(text: str) -> str:
    """Case, accents and spacing folded, so one fact typed twice is one value."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(folded.split())


def person_key(person: MerchantPerson) -> str:
    return f"{_plain(person.name)}|{person.birth_date or ''}"


def address_key(address: MerchantAddress) -> str:
    """``"1 high st, london, ec1a 1aa, gb"``: lines, postcode and country, folded."""
    parts = [*address.lines, address.postcode or "", address.country]
    return ", ".join(_plain(p) for p in parts if p)[:MAX_ENTITY_CHARS]


@cache
def _extractor() -> tldextract.TLDExtract:
    """The bundled Public Suffix List only: ``suffix_list_urls=()`` never fetches."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def registered_domain(website: str) -> str | None:
    host = re.sub(r"^[a-z]+://", "", website).split("/", 1)[0].split(":", 1)[0]
    found = _extractor()(host)
    return found.top_domain_under_public_suffix or None


def bank_key(merchant: MerchantPayload) -> str | None:
    account = merchant.bank
    if account is None:
        return None
    if account.iban:
        return account.iban
    assert account.account_number is not None
    number = re.sub(r"[\s-]", "", account.account_number).upper()
    return f"{account.country or merchant.registration_country}:{number}"


def merchant_entities(merchant: MerchantPayload) -> dict[str, str]:
    """The entities of a ``merchant`` event; empty values are left out."""
    found: dict[str, str | None] = {
        "merchant": merchant.merchant_id,
        "bank_account": bank_key(merchant),
        "phone": merchant.phone,
        "email": merchant.email,
        "email_domain": merchant.email.rsplit("@", 1)[1] if merchant.email else None,
        "website": registered_domain(merchant.website) if merchant.website else None,
        "device": merchant.device_id,
        "ip": str(merchant.ip) if merchant.ip else None,
    }
    if merchant.registration_number:
        number = re.sub(r"[^0-9A-Z]", "", merchant.registration_number.upper())
        found["registration"] = f"{merchant.registration_country}:{number}"
    unique_people = dict.fromkeys(person_key(p) for p in merchant.people)
    found.update({slot("person", i): key for i, key in enumerate(unique_people)})
    unique_addresses = dict.fromkeys(address_key(a) for a in merchant.addresses)
    found.update({slot("address", i): key for i, key in enumerate(unique_addresses)})
    return {k: v[:MAX_ENTITY_CHARS] for k, v in found.items() if v}


@dataclass(frozen=True, slots=True)
class Links:
    links: list[RingLink]  # strongest first, at most MAX_LINKS
    merchants: int  # distinct other merchants linked, all of them
    common: list[tuple[str, str, int]]  # (type, value, merchants) left out for their degree


def find_links(
    session: Session,
    merchant_id: str,
    entities: Mapping[str, str],
    *,
    degree_caps: Mapping[str, int] | None = None,
) -> Links:
    """Other merchants whose stored applications share a value with ``entities``.

    Index look-ups (the sharing events, then whose they are) rather than one join: SQLite
    would otherwise start from every stored merchant and slow down with each application.
    """
    caps = {**DEGREE_CAPS, **(degree_caps or {})}
    wanted = {(base_type(t), v) for t, v in entities.items() if base_type(t) in LINK_TYPES}
    if not wanted:
        return Links([], 0, [])
    rows = _sharing_rows(session, wanted)
    busy: dict[tuple[str, str], int] = {}
    if len(rows) > MAX_ROWS:  # some value is on very many events: leave it out, as common
        busy = _busy_values(session, wanted)
        rows = _sharing_rows(session, wanted - set(busy))
    owners = _owners(session, sorted({pk for pk, _, _ in rows}))
    sharing: dict[tuple[str, str], set[str]] = defaultdict(set)
    for pk, entity_type, value in rows:
        other = owners.get(pk)
        if other is not None and other != merchant_id and (base_type(entity_type), value) in wanted:
            sharing[(base_type(entity_type), value)].add(other)
    kept = {k: m for k, m in sharing.items() if len(m) <= caps.get(k[0], DEFAULT_DEGREE_CAP)}
    common = sorted(
        [(t, v, len(m)) for (t, v), m in sharing.items() if (t, v) not in kept]
        + [(t, v, n) for (t, v), n in busy.items() if (t, v) in wanted]
    )
    pairs = {(t, v, other) for (t, v), merchants in kept.items() for other in merchants}
    decisions = latest_decisions(session, sorted({other for _, _, other in pairs}))
    rank = {t: i for i, t in enumerate(LINK_TYPES)}
    ordered = sorted(pairs, key=lambda p: (rank[p[0]], decisions.get(p[2]) != "block", p[2], p[1]))
    links = [
        RingLink(
            merchant_id=other, entity_type=t, entity_value=v, decision=decisions.get(other, "")
        )
        for t, v, other in ordered[:MAX_LINKS]
    ]
    return Links(links, len({other for _, _, other in pairs}), common)


def _matching(wanted: Iterable[tuple[str, str]]) -> ColumnElement[bool]:
    """One index range per wanted value: its type's slots times the value, not every pair."""
    return or_(
        *(
            and_(EventEntity.entity_type.in_(stored_types(base)), EventEntity.entity_value == value)
            for base, value in sorted(wanted)
        )
    )


def _sharing_rows(session: Session, wanted: set[tuple[str, str]]) -> list[tuple[int, str, str]]:
    """``(event pk, entity type, value)`` of stored events, of any kind, carrying a wanted value.

    No join here: given one, SQLite starts from every event of the kind instead of the index.
    """
    if not wanted:
        return []
    query = (
        select(EventEntity.event_pk, EventEntity.entity_type, EventEntity.entity_value)
        .where(_matching(wanted))
        .limit(MAX_ROWS + 1)
    )
    return [(int(pk), str(t), str(v)) for pk, t, v in session.execute(query)]


def _busy_values(session: Session, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Values on more stored events than any ring: ``(type, value) -> events``."""
    counted = session.execute(
        select(EventEntity.entity_type, EventEntity.entity_value, func.count())
        .where(_matching(wanted))
        .group_by(EventEntity.entity_type, EventEntity.entity_value)
    )
    found: dict[tuple[str, str], int] = defaultdict(int)
    for entity_type, value, events in counted:
        found[(base_type(entity_type), value)] += events
    return {k: n for k, n in found.items() if n > MAX_EVENTS_PER_VALUE}


def _owners(session: Session, event_pks: list[int]) -> dict[int, str]:
    """The merchant of each of these events that is a merchant application or update."""
    found: dict[int, str] = {}
    for i in range(0, len(event_pks), CHUNK):
        rows = session.execute(
            select(EventEntity.event_pk, EventEntity.entity_value)
            .join(EventRecord, EventRecord.id == EventEntity.event_pk)
            .where(
                EventRecord.id.in_(event_pks[i : i + CHUNK]),
                EventRecord.kind.in_(MERCHANT_KINDS),
                EventEntity.entity_type == "merchant",
            )
        )
        found.update((int(pk), str(value)) for pk, value in rows)
    return found


def latest_decisions(session: Session, merchant_ids: list[str]) -> dict[str, str]:
    """Each merchant's most recent verdict (an application, update or re-screen)."""
    return clusters.latest_decisions(session, "merchant", merchant_ids, kinds=DECISION_KINDS)
