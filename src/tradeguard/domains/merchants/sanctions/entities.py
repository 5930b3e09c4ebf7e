"""One listed party, whatever list it came from, in the FollowTheMoney vocabulary.

Every list parser produces :class:`ListedEntity` values and everything downstream (the store,
the diff between list versions, the matcher, the API) reads only these. Properties use
FollowTheMoney property names (``name``, ``alias``, ``weakAlias``, ``birthDate``,
``nationality``, ``country``, ``idNumber``, ``passportNumber``, ``address``...), so an entity
turns into a ``followthemoney`` proxy for nomenklatura's matcher without a mapping table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson

# The lists TradeGuard reads, by the ``--source`` name of ``tradeguard lists load-sanctions``.
SOURCES = ("ofac-sdn", "un", "eu", "uk", "csv")
# FollowTheMoney schemata a listed party can have; the matcher compares like with like.
SCHEMATA = ("Person", "Organization", "Company", "LegalEntity", "Vessel", "Airplane")


@dataclass(frozen=True, slots=True)
class ListedEntity:
    """A party on a list: ``entity_id`` is stable across versions of the same list."""

    entity_id: str  # unique within the list, prefixed by it: "ofac-sdn-306", "un-6907993"
    schema: str  # one of SCHEMATA
    caption: str  # the primary name, as the list writes it
    properties: Mapping[str, tuple[str, ...]]  # FollowTheMoney property -> values, sorted
    programs: tuple[str, ...] = ()  # sanctions programmes / regimes ("SDGT", "DPRK"...)
    listed_on: str | None = None  # ISO date the party was designated, when the list says
    reference: str | None = None  # the list's own reference ("QDi.001"), when it has one

    def digest(self) -> str:
        """Content digest: two versions of a list differ for this entity iff this differs."""
        return hashlib.sha256(orjson.dumps(self.to_json(), option=orjson.OPT_SORT_KEYS)).hexdigest()

    def names(self) -> tuple[str, ...]:
        """Every name the party is known by, primary first, without repeats."""
        found = [self.caption]
        for prop in ("name", "alias", "weakAlias", "previousName"):
            found.extend(self.properties.get(prop, ()))
        return tuple(dict.fromkeys(n for n in found if n))

    def to_json(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id,
            "schema": self.schema,
            "caption": self.caption,
            "properties": {k: list(v) for k, v in sorted(self.properties.items()) if v},
            "programs": list(self.programs),
            "listed_on": self.listed_on,
            "reference": self.reference,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ListedEntity:
        return cls.create(
            entity_id=data["entity_id"],
            schema=data["schema"],
            caption=data["caption"],
            properties=data.get("properties", {}),
            programs=data.get("programs", ()),
            listed_on=data.get("listed_on"),
            reference=data.get("reference"),
        )

    @classmethod
    def create(
        cls,
        *,
        entity_id: str,
        schema: str,
        caption: str,
        properties: Mapping[str, Iterable[str]],
        programs: Iterable[str] = (),
        listed_on: str | None = None,
        reference: str | None = None,
    ) -> ListedEntity:
        """Normalised construction: values stripped, empties and repeats dropped, sorted."""
        if schema not in SCHEMATA:
            raise ValueError(f"unknown schema {schema!r} for {entity_id}")
        props = {
            k: tuple(sorted({v.strip() for v in vs if v and v.strip()}))
            for k, vs in properties.items()
        }
        return cls(
            entity_id=entity_id,
            schema=schema,
            caption=caption.strip(),
            properties={k: v for k, v in sorted(props.items()) if v},
            programs=tuple(sorted({p.strip() for p in programs if p and p.strip()})),
            listed_on=listed_on,
            reference=reference,
        )


@dataclass(frozen=True, slots=True)
class ParsedList:
    """What one official file held: its entities, and what could not be read from it."""

    source: str  # one of SOURCES
    name: str  # a human label: "OFAC SDN", "UN Security Council consolidated list"
    published: date | None  # the date the publisher generated the file, when it says
    entities: tuple[ListedEntity, ...]
    skipped: tuple[str, ...] = field(default=())  # one readable line per record not read
