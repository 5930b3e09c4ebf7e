"""The case queue: claim, release, resolve with a label, with the entity history beside it."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tradeguard.auth.operators import actor_of
from tradeguard.domains.accounts import clusters
from tradeguard.engine import cases, history
from tradeguard.web.events_views import related_events
from tradeguard.web.mail_panel import mail_panel
from tradeguard.web.merchant_panel import merchant_panel
from tradeguard.web.security import PREFIX, AnalystPost, SessionDep, Viewer
from tradeguard.web.templating import page, redirect

router = APIRouter(prefix=PREFIX, include_in_schema=False)
PAGE = 50
Queue = Literal["open", "claimed", "resolved", "mine", "unresolved"]


@router.get("/cases")
def queue(
    request: Request,
    session: SessionDep,
    current: Viewer,
    status: Queue = "unresolved",
    kind: str = "",
    before: int | None = None,
) -> Response:
    me = actor_of(current.operator)
    if status == "unresolved":
        found = cases.list_cases(session, status="claimed", claimed_by=me, kind=kind or None)
        found += cases.list_cases(
            session, status="open", kind=kind or None, before_id=before, limit=PAGE + 1
        )
    elif status == "mine":
        found = cases.list_cases(
            session,
            status="claimed",
            claimed_by=me,
            kind=kind or None,
            before_id=before,
            limit=PAGE + 1,
        )
    else:
        found = cases.list_cases(
            session, status=status, kind=kind or None, before_id=before, limit=PAGE + 1
        )
    events = {c.id: history.for_case(session, c.id) for c in found[:PAGE]}
    return page(
        request,
        "cases.html",
        current,
        title="Cases",
        cases=found[:PAGE],
        events=events,
        queue_status=status,
        kind=kind,
        actor=me,
        older=found[PAGE - 1].id if len(found) > PAGE else None,
        kinds=sorted({c.kind for c in found}),
    )


@router.get("/cases/{case_id}")
def case(request: Request, session: SessionDep, current: Viewer, case_id: int) -> Response:
    record = cases.get_case(session, case_id)
    event = history.for_case(session, case_id)
    return page(
        request,
        "case.html",
        current,
        title=f"Case {case_id}",
        case=record,
        e=event,
        related=related_events(session, event, limit=15),
        cluster=account_cluster(session, event),
        message=mail_panel(event),
        merchant=merchant_panel(session, event),
        actor=actor_of(current.operator),
        labels=["fraud", "legitimate", "other"],
    )


def account_cluster(session: Session, event: history.EventRead) -> clusters.Cluster | None:
    """The accounts linked to the case's account, when its event names one."""
    account = event.entities.get("account")
    return clusters.find_cluster(session, account_id=account) if account else None


@router.post("/cases/{case_id}/claim")
def claim(request: Request, session: SessionDep, current: AnalystPost, case_id: int) -> Response:
    cases.claim(session, case_id=case_id, actor=actor_of(current.operator))
    return redirect(request, f"{PREFIX}/cases/{case_id}", flash=f"You claimed case {case_id}.")


@router.post("/cases/{case_id}/release")
def release(request: Request, session: SessionDep, current: AnalystPost, case_id: int) -> Response:
    cases.release(session, case_id=case_id, actor=actor_of(current.operator))
    return redirect(
        request, f"{PREFIX}/cases/{case_id}", flash=f"Case {case_id} is back in the queue."
    )


@router.post("/cases/{case_id}/resolve")
def resolve(
    request: Request,
    session: SessionDep,
    current: AnalystPost,
    case_id: int,
    label: Annotated[cases.Label, Form()],
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    cases.resolve(
        session,
        case_id=case_id,
        actor=actor_of(current.operator),
        resolution=cases.CaseResolve(label=label, note=note),
    )
    return redirect(
        request, f"{PREFIX}/cases/{case_id}", flash=f"Case {case_id} resolved as {label}."
    )
