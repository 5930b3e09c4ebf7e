"""Allow and block lists: add with a reason, expire, remove."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from tradeguard.auth.operators import actor_of
from tradeguard.engine import lists
from tradeguard.web.forms import blank_none, moment
from tradeguard.web.security import PREFIX, AnalystPost, SessionDep, Viewer
from tradeguard.web.templating import page, redirect

router = APIRouter(prefix=PREFIX, include_in_schema=False)
DURATIONS = {
    "": None,
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
}


@router.get("/lists")
def entries(
    request: Request,
    session: SessionDep,
    current: Viewer,
    list_name: str = "",
    entity_type: str = "",
    inactive: bool = False,
) -> Response:
    found = lists.entries(
        session,
        list_name="allow" if list_name == "allow" else "block" if list_name == "block" else None,
        entity_type=blank_none(entity_type),
        include_inactive=inactive,
    )
    return page(
        request,
        "lists.html",
        current,
        title="Lists",
        entries=found,
        entity_types=lists.ENTITY_TYPES,
        durations=list(DURATIONS),
        filters={"list_name": list_name, "entity_type": entity_type, "inactive": inactive},
        now=datetime.now(UTC),
    )


@router.post("/lists")
def add(
    request: Request,
    session: SessionDep,
    current: AnalystPost,
    list_name: Annotated[lists.ListName, Form()],
    entity_type: Annotated[str, Form(max_length=40)],
    value: Annotated[str, Form(max_length=600)],
    reason: Annotated[str, Form(max_length=2000)],
    expires_in: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    span = DURATIONS.get(expires_in)
    entry = lists.add_entry(
        session,
        list_name=list_name,
        entity_type=entity_type,
        value=value,
        reason=reason,
        actor=actor_of(current.operator),
        expires_at=datetime.now(UTC) + span if span else None,
    )
    return redirect(
        request,
        f"{PREFIX}/lists",
        flash=f"Added {entry.entity_type} {entry.value} to the {entry.list_name} list.",
    )


@router.post("/lists/{entry_id}/expire")
def expire(
    request: Request,
    session: SessionDep,
    current: AnalystPost,
    entry_id: int,
    expires_at: Annotated[str, Form(max_length=40)],
) -> Response:
    when = moment(expires_at, field="expires at")
    if when is None:
        when = datetime.now(UTC)
    entry = lists.expire_entry(
        session, entry_id=entry_id, expires_at=when, actor=actor_of(current.operator)
    )
    return redirect(
        request, f"{PREFIX}/lists", flash=f"{entry.value} now expires {when:%Y-%m-%d %H:%M} UTC."
    )


@router.post("/lists/{entry_id}/remove")
def remove(request: Request, session: SessionDep, current: AnalystPost, entry_id: int) -> Response:
    entry = lists.remove_entry(session, entry_id=entry_id, actor=actor_of(current.operator))
    return redirect(
        request, f"{PREFIX}/lists", flash=f"Removed {entry.value} from the {entry.list_name} list."
    )
