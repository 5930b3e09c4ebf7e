"""Screen a person or company against the listed parties with OpenSanctions' logic-v2.

The index finds a few candidates that share name evidence with the query
(:mod:`.index`); nomenklatura's ``logic-v2`` scores each of them and says why, per feature
(name, birth date, country, identifiers), as yente does for its ``/match`` answers. Names are
analysed once per listed party and once per query (:mod:`.scoring`).
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from followthemoney import model
from followthemoney.names import entity_names
from followthemoney.schema import Schema
from followthemoney.types import registry
from nomenklatura.matching.types import FeatureResult

from tradeguard.domains.merchants.sanctions.entities import SCHEMATA, ListedEntity
from tradeguard.domains.merchants.sanctions.index import (
    CandidateIndex,
    identifier_keys,
    name_keys,
)
from tradeguard.domains.merchants.sanctions.scoring import AnalysedProxy, IndexedLogicV2

ALGORITHM = IndexedLogicV2.NAME  # "logic-v2"
DEFAULT_THRESHOLD = 0.7  # yente's default: score >= threshold -> match=True
DEFAULT_CUTOFF = 0.5  # results scored below this are not returned (yente's cutoff)
# How many index candidates logic-v2 scores per query at most, and the least share of the
# query's key weight a candidate must hold: both measured in docs/evaluation/screening.md.
CANDIDATES = 30
MIN_SHARE = 0.15
# A query is typed by people or sent by clients: bound the work one query can cause.
MAX_VALUES = 10
MAX_VALUE_CHARS = 500

_NAME_PROPS = ("name", "alias", "weakAlias", "previousName")
# Zero-score explanations worth showing: they say what was compared and agreed.
_EXPLAINED = frozenset({"name_match", "dob_year_disjoint", "dob_day_disjoint"})
_CONFIG = IndexedLogicV2.default_config()
# Free text no logic-v2 feature reads: left out of the proxies to keep the index small.
_UNMATCHED_TYPES = (registry.text, registry.html, registry.json, registry.url)


@dataclass(frozen=True)
class Query:
    """Who to screen: a FollowTheMoney schema and properties, checked on construction."""

    schema: str
    properties: Mapping[str, Sequence[str]]

    def __post_init__(self) -> None:
        object.__setattr__(self, "properties", _clean(_query_schema(self.schema), self.properties))

    @classmethod
    def from_properties(cls, schema: str, properties: Mapping[str, Sequence[str]]) -> Query:
        return cls(schema=schema, properties=properties)

    def proxy(self) -> AnalysedProxy:
        """A new, analysed FtM entity with a fresh id: nomenklatura caches name analysis by
        entity id, so a reused id would meet the names of an earlier query."""
        proxy = AnalysedProxy.make(self.schema, f"query-{uuid.uuid4().hex}")
        for prop, values in self.properties.items():
            proxy.add(prop, values, cleaned=True)
        return proxy.analyse(is_query=True)


def person_query(name: str, birth_date: str | None = None, nationality: str | None = None) -> Query:
    props = {"name": [name], "birthDate": [birth_date or ""], "nationality": [nationality or ""]}
    return Query(schema="Person", properties=props)


def company_query(
    name: str, country: str | None = None, registration_number: str | None = None
) -> Query:
    props = {
        "name": [name],
        "country": [country or ""],
        "registrationNumber": [registration_number or ""],
    }
    return Query(schema="Company", properties=props)


def _query_schema(name: str) -> Schema:
    schema = model.get(name)
    listed = [model.get(s) for s in SCHEMATA]
    if schema is None or not schema.matchable or not any(schema.can_match(s) for s in listed if s):
        raise ValueError(
            f"cannot screen a {name!r}: the schema must be one of {', '.join(SCHEMATA)}"
        )
    return schema


def _clean(schema: Schema, properties: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Clean each value with its FtM type; blanks are dropped, anything invalid is refused."""
    cleaned: dict[str, tuple[str, ...]] = {}
    for name, values in properties.items():
        prop = schema.get(name)
        if prop is None or prop.type == registry.entity:
            raise ValueError(f"{schema.name} has no property {name!r} that can be screened")
        if isinstance(values, str):
            raise ValueError(f"{name}: expected a list of values, not a string")
        kept: list[str] = []
        for value in values:
            if not isinstance(value, str):
                raise ValueError(f"{name}: {value!r} is not text")
            if len(value) > MAX_VALUE_CHARS:
                raise ValueError(f"{name}: a value is longer than {MAX_VALUE_CHARS} characters")
            if not value.strip():
                continue
            clean = prop.type.clean(value, proxy=None)
            if clean is None:
                raise ValueError(f"{name}: {value!r} is not a valid {prop.type.label.lower()}")
            kept.append(clean)
        kept = list(dict.fromkeys(kept))
        if len(kept) > MAX_VALUES:
            raise ValueError(f"{name}: more than {MAX_VALUES} values")
        if kept:
            cleaned[name] = tuple(kept)
    return cleaned


@dataclass(frozen=True)
class Feature:
    """One logic-v2 feature's verdict on a pair, and the values it compared."""

    score: float
    detail: str | None
    query: str | None
    candidate: str | None


@dataclass(frozen=True)
class Match:
    entity: ListedEntity
    source: str
    score: float
    match: bool  # score >= threshold
    features: dict[str, Feature]


def listed_proxy(entity: ListedEntity) -> AnalysedProxy:
    """The analysed FtM entity logic-v2 compares with; its id changes whenever the entity
    changes, so a new list version never meets names cached for the old one."""
    proxy = AnalysedProxy.make(entity.schema, f"{entity.entity_id}.{entity.digest()[:16]}")
    for prop, values in entity.properties.items():
        kept = proxy.schema.get(prop)
        if kept is not None and kept.type not in _UNMATCHED_TYPES:
            proxy.add(prop, values, quiet=True)
    if not proxy.has("name"):
        proxy.add("name", entity.caption)
    return proxy.analyse(is_query=False)


def explain(explanations: Mapping[str, FeatureResult]) -> dict[str, Feature]:
    """The features worth showing: those that scored, and the name and date comparisons."""
    return {
        name: Feature(score=r.score, detail=r.detail, query=r.query, candidate=r.candidate)
        for name, r in explanations.items()
        if r.score > 0.0 or (name in _EXPLAINED and r.detail)
    }


class SanctionsIndex:
    """Every listed party of the loaded lists, ready to screen against; read-only once built."""

    def __init__(
        self,
        entries: Sequence[tuple[str, ListedEntity]],
        proxies: Sequence[AnalysedProxy],
        candidates: CandidateIndex,
        depth: int,
        min_share: float,
    ) -> None:
        self._entries = entries
        self._proxies = proxies
        self._candidates = candidates
        self._depth = depth
        self._min_share = min_share
        schemata = [model.get(e.schema) for _, e in entries]
        self._allowed = {
            name: np.array([s is not None and schema.can_match(s) for s in schemata], dtype=bool)
            for name in model.schemata
            if (schema := model.get(name)) is not None and schema.matchable
        }

    @classmethod
    def build(
        cls,
        entries: Iterable[tuple[str, ListedEntity]],
        *,
        depth: int = CANDIDATES,
        min_share: float = MIN_SHARE,
    ) -> SanctionsIndex:
        """Analyse every listed party once and index its name keys.

        The index lives as long as the process serves from it, so its objects are moved out
        of reach of CPython's cyclic collector (``gc.freeze``): otherwise every full
        collection would walk its hundreds of thousands of name-analysis objects, a pause of
        tenths of a second in the middle of some screening. They are still freed as usual
        (by reference counting) when the index is dropped.
        """
        _warm_up()
        listed = list(entries)
        proxies = [listed_proxy(entity) for _, entity in listed]
        keys = [_listed_keys(proxy) for proxy in proxies]
        index = cls(listed, proxies, CandidateIndex(keys), depth, min_share)
        gc.collect()
        gc.freeze()
        return index

    def __len__(self) -> int:
        return len(self._entries)

    def match(
        self,
        query: Query,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        cutoff: float = DEFAULT_CUTOFF,
        limit: int = 5,
    ) -> list[Match]:
        """The best-scored listed parties for ``query``, best first, none below ``cutoff``."""
        proxy = query.proxy()
        found: list[Match] = []
        for position, _ in self._rank(proxy, self._depth, self._min_share):
            result = IndexedLogicV2.compare(proxy, self._proxies[position], _CONFIG)
            if result.score < cutoff:
                continue
            source, entity = self._entries[position]
            found.append(
                Match(
                    entity=entity,
                    source=source,
                    score=result.score,
                    match=result.score >= threshold,
                    features=explain(result.explanations),
                )
            )
        found.sort(key=lambda m: (-m.score, m.entity.entity_id))
        return found[: max(limit, 0)]

    def candidates(
        self, query: Query, *, depth: int | None = None, min_share: float | None = None
    ) -> list[tuple[ListedEntity, float]]:
        """What the index hands logic-v2 for ``query``, with its key score: for tuning."""
        depth = self._depth if depth is None else depth
        share = self._min_share if min_share is None else min_share
        return [
            (self._entries[p][1], score) for p, score in self._rank(query.proxy(), depth, share)
        ]

    def _rank(self, proxy: AnalysedProxy, depth: int, min_share: float) -> list[tuple[int, float]]:
        keys = name_keys(proxy.analysed_names or ()) | identifier_keys(
            proxy.get_type_values(registry.identifier)
        )
        allowed = self._allowed[proxy.schema.name]
        return self._candidates.rank(keys, allowed, depth, min_share)


def _listed_keys(proxy: AnalysedProxy) -> set[str]:
    """Keys of every name, weak aliases included: logic-v2 matches a query to those too."""
    names = entity_names(proxy, _NAME_PROPS, consolidate=False)
    return name_keys(names) | identifier_keys(proxy.get_type_values(registry.identifier))


# One name per script family the lists and customers use, so each lazily loaded table is
# loaded by the build and not by somebody's first screening.
_WARM_UP = ("Mr. John Smith", "Владимир Путин", "محمد علي", "习近平", "김정은", "ACME Trading LLC")


def _warm_up() -> None:
    """Load rigour's name, address and script tables now (seconds), not in a screening."""
    warm = ListedEntity.create(
        entity_id="warm-up",
        schema="Person",
        caption="John Smyth",
        properties={"address": ["1 Main Street, Springfield"], "country": ["us"]},
    )
    listed = listed_proxy(warm)
    for name in _WARM_UP:
        query = person_query(name, birth_date="1970").proxy()
        name_keys(query.analysed_names or ())
        IndexedLogicV2.compare(query, listed, _CONFIG)
