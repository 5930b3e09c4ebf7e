"""Case queue: list, read, claim, release and resolve with a label; labels for training."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel

from tradeguard.api.deps import Analyst, SessionDep
from tradeguard.engine import cases, history

router = APIRouter(prefix="/v1", tags=["cases"])


class CaseDetail(BaseModel):
    case: cases.CaseRead
    event: history.EventRead


class CasePage(BaseModel):
    items: list[cases.CaseRead]
    next_cursor: int | None


@router.get("/cases")
def list_cases(
    session: SessionDep,
    _: Analyst,
    status: cases.Status | None = None,
    kind: str | None = None,
    label: cases.Label | None = None,
    claimed_by: str | None = None,
    cursor: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> CasePage:
    rows = cases.list_cases(
        session,
        status=status,
        kind=kind,
        label=label,
        claimed_by=claimed_by,
        before_id=cursor,
        limit=limit,
    )
    items = [cases.CaseRead.model_validate(r) for r in rows]
    return CasePage(items=items, next_cursor=items[-1].id if len(items) == limit else None)


@router.get("/cases/{case_id}")
def read_case(case_id: int, session: SessionDep, _: Analyst) -> CaseDetail:
    case = cases.CaseRead.model_validate(cases.get_case(session, case_id))
    return CaseDetail(case=case, event=history.for_case(session, case_id))


@router.post("/cases/{case_id}/claim")
def claim_case(case_id: int, session: SessionDep, caller: Analyst) -> cases.CaseRead:
    return cases.CaseRead.model_validate(cases.claim(session, case_id=case_id, actor=caller.actor))


@router.post("/cases/{case_id}/release")
def release_case(case_id: int, session: SessionDep, caller: Analyst) -> cases.CaseRead:
    released = cases.release(session, case_id=case_id, actor=caller.actor)
    return cases.CaseRead.model_validate(released)


@router.post("/cases/{case_id}/resolve")
def resolve_case(
    case_id: int, body: cases.CaseResolve, session: SessionDep, caller: Analyst
) -> cases.CaseRead:
    resolved = cases.resolve(session, case_id=case_id, actor=caller.actor, resolution=body)
    return cases.CaseRead.model_validate(resolved)


@router.get("/labels")
def list_labels(
    session: SessionDep,
    _: Analyst,
    kind: str | None = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> list[cases.LabelRead]:
    return cases.labels(session, kind=kind, since=since, until=until, limit=limit)
