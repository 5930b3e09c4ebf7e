"""Ingest events and read them back with their verdicts."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from pydantic import AwareDatetime, BaseModel
from starlette.concurrency import run_in_threadpool

from tradeguard.api.deps import Analyst, Ingest, Reader, RuntimeDep, SessionDep
from tradeguard.engine import history
from tradeguard.engine.events import event_kinds, get_kind
from tradeguard.engine.service import ingest
from tradeguard.engine.verdicts import Decision, Verdict
from tradeguard.errors import BadRequest, Invalid, UnsupportedMediaType

router = APIRouter(prefix="/v1", tags=["events"])


class KindRead(BaseModel):
    name: str
    description: str
    fields: dict[str, Any]


class EventPage(BaseModel):
    items: list[history.EventRead]
    next_cursor: int | None


async def _json_object(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if content_type not in ("application/json", ""):
        raise UnsupportedMediaType("send the event as application/json")
    body = await request.body()
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise Invalid("an event must be a JSON object")
    return data


@router.get("/kinds")
def list_kinds(_: Reader) -> list[KindRead]:
    return [
        KindRead(name=k.name, description=k.description, fields=k.payload.model_json_schema())
        for k in event_kinds().values()
    ]


@router.post(
    "/events/{kind}",
    status_code=201,
    response_model=Verdict,
    responses={200: {"model": Verdict, "description": "seen before: the stored verdict"}},
)
async def post_event(kind: str, request: Request, runtime: RuntimeDep, caller: Ingest) -> Response:
    """Screen one event: a flat JSON object with ``id``, ``occurred_at`` and the kind's fields."""
    get_kind(kind)
    raw = await _json_object(request)
    verdict = await run_in_threadpool(
        ingest,
        runtime.sessions,
        kind=kind,
        raw=raw,
        actor=caller.actor,
        counters=runtime.counters,
    )
    # Serialised once by pydantic's core; FastAPI would validate the model a second time.
    return Response(
        verdict.model_dump_json(),
        status_code=200 if verdict.replayed else 201,
        media_type="application/json",
    )


@router.get("/events")
def search_events(
    session: SessionDep,
    _: Analyst,
    kind: str | None = None,
    decision: Decision | None = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    entity_type: str | None = None,
    entity_value: str | None = None,
    cursor: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> EventPage:
    items = history.search(
        session,
        kind=kind,
        decision=decision,
        since=since,
        until=until,
        entity_type=entity_type,
        entity_value=entity_value,
        before_pk=cursor,
        limit=limit,
    )
    return EventPage(items=items, next_cursor=items[-1].cursor if len(items) == limit else None)


@router.get("/events/{kind}/{event_id}")
def read_event(kind: str, event_id: str, session: SessionDep, _: Reader) -> history.EventRead:
    return history.get(session, kind, event_id)


@router.get("/verdicts/{kind}/{event_id}")
def read_verdict(kind: str, event_id: str, session: SessionDep, _: Reader) -> Verdict:
    return history.get(session, kind, event_id).verdict
