"""The panel of a ``merchant`` or ``merchant_rescreen`` event: what KYB found, and the ring.

An application is the applicant's own words: every value reaches the template as plain text
for Jinja to escape, and nothing from it (the website, the e-mail address) becomes a link,
so reading a case never visits the applicant's site. The ring is walked now, not at intake, so
it shows the linked merchants' decisions and cases as they stand.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.orm import Session

from tradeguard.domains.merchants import rings, summary
from tradeguard.domains.merchants.schemas import (
    FeatureExplanation,
    IdentifierCheck,
    JurisdictionFlag,
    MerchantChecks,
    MerchantPayload,
    MerchantRescreenPayload,
    PartyScreening,
    Screening,
    ScreeningHit,
)
from tradeguard.engine import history
from tradeguard.errors import NotFound

KINDS = ("merchant", "merchant_rescreen")


# logic-v2 features that count against a match when they fire ("dob_year_disjoint"): a 0
# there says the two agree, which is evidence too, not a feature that did nothing.
AGAINST = ("_disjoint", "_mismatch")


@dataclass(frozen=True, slots=True)
class FeatureRow:
    """One of logic-v2's features: what it compared (query vs candidate) and how it scored."""

    name: str
    score: float
    against: bool
    detail: str
    query: str
    candidate: str


@dataclass(frozen=True, slots=True)
class HitRow:
    hit: ScreeningHit
    verdict: str  # "match" or "possible match"
    percent: float
    new: bool  # found by the re-screen that opened this case
    features: list[FeatureRow]


@dataclass(frozen=True, slots=True)
class PartyRow:
    party: str  # "company", "people[0]"...
    role: str
    name: str
    hits: list[HitRow]

    @property
    def matched(self) -> bool:
        return any(h.hit.match for h in self.hits)


@dataclass(frozen=True, slots=True)
class FlagRow:
    """A FATF-listed country and where the application names it, in words."""

    flag: JurisdictionFlag
    where: str  # "registration", "address (warehouse)", "nationality of Jane Roe"...


@dataclass(frozen=True, slots=True)
class MerchantPanel:
    kind: str
    merchant_id: str
    merchant: MerchantPayload | None  # the application; for a re-screen, the last one stored
    checks: MerchantChecks | None
    screening: Screening | None  # the event's own; a re-screen's is against the new lists
    parties: list[PartyRow]  # the company and people with hits, in the form's order
    identifiers: list[IdentifierCheck]
    jurisdictions: list[FlagRow]
    rescreen: MerchantRescreenPayload | None
    ring: rings.Ring | None

    @property
    def people_hits(self) -> dict[str, PartyRow]:
        """Screening rows by party key, for the people table's "screening" column."""
        return {p.party: p for p in self.parties}


def merchant_panel(session: Session, event: history.EventRead) -> MerchantPanel | None:
    """The panel of a merchant event; None for another kind or a payload it cannot read."""
    if event.kind not in KINDS:
        return None
    merchant: MerchantPayload | None
    try:
        if event.kind == "merchant":
            merchant = MerchantPayload.model_validate(event.fields)
            rescreen = None
        else:
            rescreen = MerchantRescreenPayload.model_validate(event.fields)
            merchant = _last_application(session, rescreen.merchant_id)
    except ValidationError:
        return None  # stored by another version: the raw event below still shows it
    merchant_id = rescreen.merchant_id if rescreen else merchant.merchant_id if merchant else ""
    checks = merchant.checks if merchant else None
    screening = rescreen.screening if rescreen else checks.screening if checks else None
    new = _new_hits(rescreen.new_hits) if rescreen else set()
    return MerchantPanel(
        kind=event.kind,
        merchant_id=merchant_id,
        merchant=merchant,
        checks=checks,
        screening=screening,
        parties=[_party(p, new) for p in screening.parties] if screening else [],
        identifiers=list(checks.identifiers) if checks else [],
        jurisdictions=[_flag(f, merchant) for f in checks.jurisdictions] if checks else [],
        rescreen=rescreen,
        ring=_ring(session, merchant_id),
    )


def _last_application(session: Session, merchant_id: str) -> MerchantPayload | None:
    found = summary.last_application(session, merchant_id)
    return MerchantPayload.model_validate(found.fields) if found else None


def _ring(session: Session, merchant_id: str) -> rings.Ring | None:
    try:
        return rings.find_ring(session, merchant_id)
    except NotFound:
        return None


def _flag(flag: JurisdictionFlag, merchant: MerchantPayload | None) -> FlagRow:
    """``people[1]`` as "nationality of <their name>", ``address:warehouse`` as words."""
    where = flag.where
    if where.startswith("people[") and merchant is not None:
        index = where.removeprefix("people[").rstrip("]")
        if index.isdigit() and int(index) < len(merchant.people):
            where = f"nationality of {merchant.people[int(index)].name}"
    elif where.startswith("address:"):
        where = f"address ({where.removeprefix('address:')})"
    return FlagRow(flag=flag, where=where)


def _new_hits(parties: list[PartyScreening]) -> set[tuple[str, str]]:
    return {(p.party, h.entity_id) for p in parties for h in p.hits}


def _party(party: PartyScreening, new: set[tuple[str, str]]) -> PartyRow:
    return PartyRow(
        party=party.party,
        role=party.role,
        name=party.name,
        hits=[_hit(h, (party.party, h.entity_id) in new) for h in party.hits],
    )


def _hit(hit: ScreeningHit, new: bool) -> HitRow:
    return HitRow(
        hit=hit,
        verdict="match" if hit.match else "possible match",
        percent=round(hit.score * 100, 1),
        new=new,
        features=[_feature(name, f) for name, f in hit.features.items()],
    )


def _feature(name: str, feature: FeatureExplanation) -> FeatureRow:
    return FeatureRow(
        name=name.replace("_", " "),
        score=feature.score,
        against=name.endswith(AGAINST),
        detail=feature.detail or "",
        query=feature.query or "",
        candidate=feature.candidate or "",
    )
