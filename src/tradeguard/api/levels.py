"""Protection levels: the assessment, its trend, the controls, attestations and coverage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from tradeguard.api.deps import Admin, Analyst, Ingest, RuntimeDep, SessionDep
from tradeguard.levels import attestations, service
from tradeguard.levels.catalog import Control
from tradeguard.levels.schemas import (
    Assessment,
    AttestationCreate,
    AttestationRead,
    SnapshotRead,
    VolumeBatch,
)

router = APIRouter(prefix="/v1", tags=["levels"])
MarketQuery = Annotated[
    list[str],
    Query(
        alias="market",
        description="CN, US or EU; repeat or comma-separate for several. "
        "None: the base controls only, without market overlays.",
    ),
]


class Recorded(BaseModel):
    snapshot: SnapshotRead
    assessment: Assessment


class Stored(BaseModel):
    stored: int


@router.get("/assessment")
def read_assessment(
    session: SessionDep,
    runtime: RuntimeDep,
    _: Analyst,
    market: MarketQuery = [],  # noqa: B006
) -> Assessment:
    """The protection level now: every layer's level, each cell with its controls and evidence,
    and the gaps ranked by the risk they leave and the effort to close them."""
    return service.assess_cached(session, settings=runtime.settings, markets=market)


@router.get("/assessment/history")
def read_history(
    session: SessionDep,
    _: Analyst,
    market: MarketQuery = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=1000)] = 90,
) -> list[SnapshotRead]:
    """Recorded assessments of this set of markets, oldest first: the trend."""
    return service.trend(session, markets=service.parse_markets(market), limit=limit)


@router.post("/assessments", status_code=201)
def record_assessment(
    session: SessionDep,
    runtime: RuntimeDep,
    caller: Analyst,
    market: MarketQuery = [],  # noqa: B006
) -> Recorded:
    """Assess now and keep the result in the history (run it daily for a trend)."""
    markets = service.parse_markets(market)
    result, snapshot = service.record(
        session, settings=runtime.settings, markets=markets, actor=caller.actor
    )
    return Recorded(snapshot=SnapshotRead.model_validate(snapshot), assessment=result)


@router.get("/controls")
def list_controls(
    runtime: RuntimeDep,
    _: Analyst,
    market: MarketQuery = [],  # noqa: B006
) -> list[Control]:
    """The catalog in force (base, overlays for the markets asked, the organisation's own);
    no ``market``: every control of every overlay."""
    catalog = service.catalog_for(runtime.settings)
    markets = service.parse_markets(market) if market else None
    return list(catalog.controls) if markets is None else catalog.for_markets(markets)


@router.get("/attestations")
def list_attestations(
    session: SessionDep, _: Analyst, control_id: str | None = None
) -> list[AttestationRead]:
    rows = attestations.history(session, control_id=control_id)
    return [AttestationRead.model_validate(r) for r in rows]


@router.post("/attestations", status_code=201)
def create_attestation(
    body: AttestationCreate, session: SessionDep, runtime: RuntimeDep, caller: Admin
) -> AttestationRead:
    """State that a control is met, with the document behind it; admins only."""
    catalog = service.catalog_for(runtime.settings)
    row = attestations.attest(session, catalog=catalog, body=body, actor=caller.actor)
    return AttestationRead.model_validate(row)


@router.post("/attestations/{attestation_id}/revoke")
def revoke_attestation(attestation_id: int, session: SessionDep, caller: Admin) -> AttestationRead:
    row = attestations.revoke(session, attestation_id=attestation_id, actor=caller.actor)
    return AttestationRead.model_validate(row)


@router.post("/coverage")
def report_coverage(body: VolumeBatch, session: SessionDep, caller: Ingest) -> Stored:
    """The store's own daily event counts, against which screening coverage is measured."""
    return Stored(stored=service.report_volumes(session, items=body.items, actor=caller.actor))
