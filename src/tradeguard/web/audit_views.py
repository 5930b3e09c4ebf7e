"""The audit log, searchable by text, actor, action, target and time."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tradeguard.engine import audit
from tradeguard.web.forms import blank_none, moment
from tradeguard.web.security import PREFIX, SessionDep, Viewer
from tradeguard.web.templating import page

router = APIRouter(prefix=PREFIX, include_in_schema=False)
PAGE = 100


@router.get("/audit")
def search(
    request: Request,
    session: SessionDep,
    current: Viewer,
    q: str = "",
    actor: str = "",
    action: str = "",
    target_type: str = "",
    target_id: str = "",
    since: str = "",
    until: str = "",
    before: int | None = None,
) -> Response:
    found = audit.search(
        session,
        text=blank_none(q),
        actor=blank_none(actor),
        action=blank_none(action),
        target_type=blank_none(target_type),
        target_id=blank_none(target_id),
        since=moment(since, field="from"),
        until=moment(until, end_of_day=True, field="to"),
        before_id=before,
        limit=PAGE + 1,
    )
    filters = {
        "q": q,
        "actor": actor,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "since": since,
        "until": until,
    }
    return page(
        request,
        "audit.html",
        current,
        title="Audit log",
        entries=found[:PAGE],
        older=found[PAGE - 1].id if len(found) > PAGE else None,
        filters=filters,
    )
