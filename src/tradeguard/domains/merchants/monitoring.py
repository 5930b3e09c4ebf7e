"""Ongoing monitoring: re-screen existing merchants when a sanctions list changes.

Every merchant's parties (the company and its people, from its latest application or update)
are screened again, against the entities a new list version added or changed (``changed``),
or against every current list (``changed=None``: a full re-screen). A hit the merchant did not
already have, at intake or in an earlier re-screen, becomes one ``merchant_rescreen`` event
through the engine, so the default pack reviews or blocks it and a case opens the ordinary
way. Event ids are derived from the list versions and the hits, so running it again opens
nothing new.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tradeguard.db.session import unit_of_work
from tradeguard.domains.merchants.checks import (
    Party,
    merchant_parties,
    party_hits,
    party_screening,
    summarise,
)
from tradeguard.domains.merchants.schemas import PartyScreening, ScreeningHit
from tradeguard.engine import audit
from tradeguard.engine.screening import CounterBackend
from tradeguard.engine.service import ingest
from tradeguard.engine.tables import EventRecord
from tradeguard.errors import Conflict

if TYPE_CHECKING:
    from tradeguard.domains.merchants.sanctions.entities import ListedEntity
    from tradeguard.domains.merchants.sanctions.matching import Query, SanctionsIndex

BATCH = 2000  # stored events read per round trip
CHUNK = 250  # queries per worker task
PARALLEL_FROM = 100  # distinct queries below which worker processes cost more than they save
_QueryKey = tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]


@dataclass(frozen=True, slots=True)
class RescreenReport:
    merchants: int
    parties: int
    screened_seconds: float
    new_hits: int
    events: int
    cases_opened: int

    def __str__(self) -> str:
        return (
            f"{self.merchants} merchants ({self.parties} parties) screened in"
            f" {self.screened_seconds:.1f} s: {self.new_hits} new hits,"
            f" {self.events} events, {self.cases_opened} cases opened"
        )


@dataclass(frozen=True, slots=True)
class _Merchant:
    merchant_id: str
    parties: list[Party]
    known: dict[tuple[str, str], bool]  # (folded party name, listed entity id) -> was a match


def rescreen(
    factory: sessionmaker[Session],
    counters: CounterBackend,
    *,
    actor: str,
    changed: Sequence[tuple[str, ListedEntity]] | None,
    reason: str,
    workers: int = 1,
    threshold: float | None = None,
) -> RescreenReport:
    """Re-screen every merchant; one ``merchant_rescreen`` event per merchant with new hits.

    ``workers`` > 1 screens in that many forked processes (the index is shared, not copied);
    the API keeps the default of one, the CLI and benchmarks use every core.
    """
    from tradeguard.domains.merchants.sanctions import store
    from tradeguard.domains.merchants.sanctions.matching import DEFAULT_THRESHOLD, SanctionsIndex

    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    with unit_of_work(factory) as session:
        lists = store.require_lists(session)
        index = store.current_index(session) if changed is None else SanctionsIndex.build(changed)
        merchants = list(_merchants(session))
    labels = [v.label for v in lists]
    started = time.perf_counter()
    results = _screen_all(index, merchants, threshold=threshold, workers=workers)
    screened = time.perf_counter() - started
    tag = hashlib.sha256("|".join(f"{v.list_key}:{v.id}" for v in lists).encode()).hexdigest()
    events = cases = hits = 0
    for merchant in merchants:
        parties = [party_screening(p, results[_key(p.query)]) for p in merchant.parties]
        new = [p for p in (_new(p, merchant.known) for p in parties) if p.hits]
        if not new:
            continue
        hits += sum(len(p.hits) for p in new)
        opened = _report(
            factory,
            counters,
            actor=actor,
            merchant_id=merchant.merchant_id,
            reason=reason,
            labels=labels,
            new=new,
            parties=parties,
            threshold=threshold,
            tag=tag,
        )
        events += opened is not None
        cases += bool(opened)
    report = RescreenReport(
        merchants=len(merchants),
        parties=sum(len(m.parties) for m in merchants),
        screened_seconds=round(screened, 3),
        new_hits=hits,
        events=events,
        cases_opened=cases,
    )
    with unit_of_work(factory) as session:
        audit.record(
            session,
            actor=actor,
            action="merchants.rescreen",
            target_type="merchants",
            target_id="full" if changed is None else "changed",
            after={
                "reason": reason,
                "changed_entities": None if changed is None else len(changed),
                "merchants": report.merchants,
                "parties": report.parties,
                "screened_seconds": report.screened_seconds,
                "new_hits": report.new_hits,
                "events": report.events,
                "cases_opened": report.cases_opened,
            },
            versions=labels,
        )
    return report


def _merchants(session: Session) -> Iterator[_Merchant]:
    """Each merchant's latest application or update, with the hits it already had."""
    latest: dict[str, dict[str, Any]] = {}
    stored = (
        select(EventRecord.payload)
        .where(EventRecord.kind == "merchant")
        .order_by(EventRecord.id)
        .execution_options(yield_per=BATCH)
    )
    for (payload,) in session.execute(stored):
        latest[str(payload["merchant_id"])] = payload
    earlier: dict[str, list[Mapping[str, Any]]] = {}
    rescreens = (
        select(EventRecord.payload)
        .where(EventRecord.kind == "merchant_rescreen")
        .execution_options(yield_per=BATCH)
    )
    for (payload,) in session.execute(rescreens):
        earlier.setdefault(str(payload["merchant_id"]), []).extend(payload.get("new_hits") or ())
    for merchant_id, payload in latest.items():
        checks = payload.get("checks") or {}
        had = [*(checks.get("screening") or {}).get("parties", ()), *earlier.get(merchant_id, ())]
        yield _Merchant(merchant_id, merchant_parties(payload), _known(had))


def _known(parties: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], bool]:
    known: dict[tuple[str, str], bool] = {}
    for party in parties:
        for found in party.get("hits") or ():
            key = (_fold(party["name"]), found["entity_id"])
            known[key] = known.get(key, False) or bool(found["match"])
    return known


def _fold(name: str) -> str:
    return " ".join(name.casefold().split())


def _key(query: Query) -> _QueryKey:
    return query.schema, tuple(sorted((k, tuple(v)) for k, v in query.properties.items()))


# The index the worker processes screen against: set before they fork, inherited, not pickled.
_INDEX: SanctionsIndex | None = None


def _screen_all(
    index: SanctionsIndex, merchants: list[_Merchant], *, threshold: float, workers: int
) -> dict[_QueryKey, list[ScreeningHit]]:
    """Every distinct query once: the same director on ten storefronts is screened once."""
    global _INDEX
    queries = {_key(p.query): p.query for m in merchants for p in m.parties}
    keys = sorted(queries, key=lambda k: _nearby(queries[k]))
    chunks = [
        ([queries[k] for k in keys[i : i + CHUNK]], threshold) for i in range(0, len(keys), CHUNK)
    ]
    _INDEX = index
    try:
        if workers > 1 and len(keys) >= PARALLEL_FROM and _can_fork():
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                answers = pool.map(_screen_chunk, chunks)
        else:
            answers = [_screen_chunk(chunk) for chunk in chunks]
    finally:
        _INDEX = None
    found = [hits for chunk in answers for hits in chunk]
    return dict(zip(keys, found, strict=True))


def _nearby(query: Query) -> tuple[str, list[str]]:
    """Similar names next to each other: they meet the same listed parties, whose name
    analysis logic-v2 then finds in its (small, per-process) cache instead of redoing it.
    """
    name = query.properties.get("name", ("",))[0]
    return query.schema, sorted(name.casefold().split(), key=len, reverse=True)


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _screen_chunk(chunk: tuple[list[Query], float]) -> list[list[ScreeningHit]]:
    queries, threshold = chunk
    assert _INDEX is not None
    return [party_hits(_INDEX, q, threshold=threshold) for q in queries]


def _new(party: PartyScreening, known: Mapping[tuple[str, str], bool]) -> PartyScreening:
    """The hits this party did not have: a new listed party, or a possible match now a match."""
    name = _fold(party.name)
    fresh = [
        h
        for h in party.hits
        if (name, h.entity_id) not in known or (h.match and not known[(name, h.entity_id)])
    ]
    return party.model_copy(update={"hits": fresh})


def _report(
    factory: sessionmaker[Session],
    counters: CounterBackend,
    *,
    actor: str,
    merchant_id: str,
    reason: str,
    labels: list[str],
    new: list[PartyScreening],
    parties: list[PartyScreening],
    threshold: float,
    tag: str,
) -> int | None:
    """Ingest one ``merchant_rescreen`` event; its case id (0: no case), None if not stored."""
    digest = hashlib.sha256(tag.encode())
    for party in new:
        for found in party.hits:
            digest.update(f"|{_fold(party.name)}:{found.entity_id}:{found.match}".encode())
    raw = {
        "id": f"rescreen-{merchant_id}-{digest.hexdigest()[:16]}",
        "occurred_at": datetime.now(UTC).isoformat(),
        "merchant_id": merchant_id,
        "reason": reason[:300],
        "list_versions": labels[:20],
        "new_hits": [p.model_dump(mode="json") for p in new],
        "screening": summarise(parties, labels, threshold).model_dump(mode="json"),
    }
    try:
        verdict = ingest(factory, kind="merchant_rescreen", raw=raw, actor=actor, counters=counters)
    except Conflict:
        return None  # the same hits under the same versions were reported before
    if verdict.replayed:
        return None
    return verdict.case_id or 0
