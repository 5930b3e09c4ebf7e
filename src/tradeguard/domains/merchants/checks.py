"""The merchant checks: what TradeGuard finds about an application before the rules weigh it.

``enrich`` is the ``merchant`` kind's engine hook: it runs inside ``screen()`` before the event
is stored, so the stored payload carries the checks the verdict was based on, back-tests read
them as they were, and the client's digest is kept (sending the same application again replays
the stored verdict instead of screening against today's lists).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from tradeguard.domains.merchants import countries, identifiers, jurisdictions, links
from tradeguard.domains.merchants.schemas import (
    FeatureExplanation,
    MerchantChecks,
    MerchantPayload,
    PartyScreening,
    Screening,
    ScreeningHit,
)
from tradeguard.engine.events import Event

if TYPE_CHECKING:
    # The matcher pulls in followthemoney and nomenklatura (seconds): imported on first use,
    # not whenever the engine loads its event kinds.
    from tradeguard.domains.merchants.sanctions.matching import Match, Query, SanctionsIndex

HITS_PER_PARTY = 5
MAX_NAMES = 10  # the matcher's bound on values per property
LIST_LABELS = {
    "un": "UN",
    "ofac-sdn": "OFAC SDN",
    "ofac-cons": "OFAC consolidated",
    "eu": "EU",
    "uk": "UK",
}
_TEXT = 500


@dataclass(frozen=True, slots=True)
class Party:
    """One party to screen: the company, or a person of it."""

    key: str  # "company", "people[0]"...
    role: str  # "company", "owner/director"...
    name: str
    query: Query


def list_label(source: str) -> str:
    """``un`` -> ``UN``; a CSV list by its name (``csv:own-watch-list`` -> ``own-watch-list``)."""
    return LIST_LABELS.get(source, source.removeprefix("csv:"))


def merchant_parties(fields: Mapping[str, Any]) -> list[Party]:
    """The company under all its names, and every person with what the form says about them.

    Reads a merchant payload as stored (JSON), so re-screening needs no model validation.
    """
    legal_name = str(fields["legal_name"])
    names = list(dict.fromkeys([legal_name, *(fields.get("trading_names") or ())]))[:MAX_NAMES]
    company = _query(
        "Company",
        {
            "name": names,
            "jurisdiction": [fields.get("registration_country") or ""],
            "registrationNumber": [fields.get("registration_number") or ""],
        },
    )
    found = [Party("company", "company", legal_name, company)]
    for i, person in enumerate(fields.get("people") or ()):
        query = _query(
            "Person",
            {
                "name": [person["name"]],
                "birthDate": [person.get("birth_date") or ""],
                "nationality": [person.get("nationality") or ""],
            },
        )
        role = "/".join(person.get("roles") or ()) or "person"
        found.append(Party(f"people[{i}]", role, person["name"], query))
    return found


def _query(schema: str, properties: dict[str, list[str]]) -> Query:
    """A query with every property the matcher accepts; a value it refuses is left out."""
    from tradeguard.domains.merchants.sanctions.matching import Query

    try:
        return Query(schema=schema, properties=properties)
    except ValueError:
        return Query(schema=schema, properties={"name": properties["name"]})


def screen_party(index: SanctionsIndex, party: Party, *, threshold: float) -> PartyScreening:
    return party_screening(party, party_hits(index, party.query, threshold=threshold))


def party_hits(index: SanctionsIndex, query: Query, *, threshold: float) -> list[ScreeningHit]:
    """The best listed parties for one party's query, at most HITS_PER_PARTY, explained."""
    from tradeguard.domains.merchants.sanctions.matching import DEFAULT_CUTOFF

    matches = index.match(query, threshold=threshold, cutoff=DEFAULT_CUTOFF, limit=HITS_PER_PARTY)
    return [hit(m) for m in matches]


def party_screening(party: Party, hits: list[ScreeningHit]) -> PartyScreening:
    return PartyScreening(party=party.key, role=party.role, name=party.name[:300], hits=hits)


def hit(found: Match) -> ScreeningHit:
    entity = found.entity
    score = round(found.score, 4)
    features = {
        name: FeatureExplanation(
            score=round(f.score, 4),
            detail=_cut(f.detail),
            query=_cut(f.query),
            candidate=_cut(f.candidate),
        )
        for name, f in list(found.features.items())[:30]
    }
    why = ", ".join(reasons(found)) or "name similarity"
    return ScreeningHit(
        source=found.source[:80],
        entity_id=entity.entity_id[:200],
        schema_=entity.schema,
        caption=entity.caption[:_TEXT],
        programs=[p[:200] for p in entity.programs[:20]],
        score=score,
        match=found.match,
        features=features,
        explanation=(
            f"{'matches' if found.match else 'resembles'} {list_label(found.source)}-listed"
            f" {entity.caption}"
            f" (score {score:.2f}: {why})"
        )[:_TEXT],
    )


def reasons(found: Match) -> list[str]:
    """logic-v2's features in words: "name match", "birth date match", "different country"."""
    words: list[str] = []
    for name, feature in found.features.items():
        detail = feature.detail or ""
        if name == "name_match":
            exact = feature.score >= 0.99
            words.append("name match" if exact else f"name similarity {feature.score:.2f}")
        elif name in ("dob_day_disjoint", "dob_year_disjoint"):
            if feature.score > 0:
                words.append("birth date differs")
            elif detail.startswith("Birth day match"):
                words.append("birth date match")
            elif detail.startswith("Birth year match"):
                words.append("birth year match")
        elif name == "country_mismatch" and feature.score > 0:
            words.append("different country")
        elif name == "gender_mismatch" and feature.score > 0:
            words.append("different gender")
        elif name.endswith("_match") and feature.score > 0:
            words.append("same identifier" if "code" in name or "identifier" in name else name)
    if "birth date match" in words and "birth year match" in words:
        words.remove("birth year match")
    return list(dict.fromkeys(words))


def _cut(text: str | None) -> str | None:
    return None if text is None else text[:_TEXT]


def summarise(
    parties: Sequence[PartyScreening], lists: Sequence[str], threshold: float
) -> Screening:
    scores = [h.score for p in parties for h in p.hits]
    return Screening(
        lists=list(lists)[:20],
        threshold=threshold,
        parties=list(parties),
        best_score=max(scores, default=0.0),
        matches=sum(h.match for p in parties for h in p.hits),
    )


def screen_merchant(
    session: Session, merchant: MerchantPayload, *, threshold: float | None = None
) -> Screening:
    """Every party against every current list; no list loaded gives ``lists == []``.

    An empty ``lists`` is not "no match": nothing was screened, and the default pack sends
    such an application to review rather than let it pass.
    """
    from tradeguard.domains.merchants.sanctions import store
    from tradeguard.domains.merchants.sanctions.matching import DEFAULT_THRESHOLD

    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    if not store.current_versions(session):  # one small query; building would warm the matcher
        return summarise([], [], threshold)
    snapshot = store.current_snapshot(session)
    labels = [v.label for v in snapshot.lists]
    if not labels or len(snapshot.index) == 0:
        return summarise([], [], threshold)
    parties = [
        screen_party(snapshot.index, p, threshold=threshold)
        for p in merchant_parties(merchant.model_dump(mode="json"))
    ]
    return summarise(parties, labels, threshold)


def merchant_checks(
    session: Session, merchant: MerchantPayload, entities: dict[str, str]
) -> MerchantChecks:
    found = countries.merchant_countries(merchant)
    mismatches = countries.inconsistencies(found)
    if holder := countries.holder_mismatch(merchant):
        mismatches.append(holder)
    ring = links.find_links(session, merchant.merchant_id, entities)
    return MerchantChecks(
        identifiers=identifiers.check_identifiers(merchant),
        screening=screen_merchant(session, merchant),
        jurisdictions=jurisdictions.flags(merchant),
        countries=found,
        inconsistencies=mismatches,
        ring=ring.links,
        ring_merchants=ring.merchants,
    )


def enrich(session: Session, event: Event) -> Event:
    """The ``merchant`` event with its checks in place of anything the client sent there."""
    merchant = event.payload
    assert isinstance(merchant, MerchantPayload)
    checked = merchant.model_copy(
        update={"checks": merchant_checks(session, merchant, event.entities)}
    )
    return replace(event, payload=checked, fields=checked.model_dump(mode="json"))
