"""Allow and block list entries."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tradeguard.api.deps import Analyst, SessionDep
from tradeguard.engine import lists

router = APIRouter(prefix="/v1/lists", tags=["lists"])


class ListEntryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entity_type: str
    value: str = Field(min_length=1, max_length=512)
    reason: str = Field(min_length=1, max_length=2000)
    expires_at: AwareDatetime | None = None


class ListEntryExpire(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_at: AwareDatetime


@router.get("/{list_name}")
def list_entries(
    list_name: lists.ListName,
    session: SessionDep,
    _: Analyst,
    entity_type: str | None = None,
    include_inactive: bool = False,
) -> list[lists.ListEntryRead]:
    rows = lists.entries(
        session, list_name=list_name, entity_type=entity_type, include_inactive=include_inactive
    )
    return [lists.ListEntryRead.model_validate(r) for r in rows]


@router.post("/{list_name}", status_code=201)
def add_entry(
    list_name: lists.ListName, body: ListEntryCreate, session: SessionDep, caller: Analyst
) -> lists.ListEntryRead:
    entry = lists.add_entry(
        session,
        list_name=list_name,
        entity_type=body.entity_type,
        value=body.value,
        reason=body.reason,
        actor=caller.actor,
        expires_at=body.expires_at,
    )
    return lists.ListEntryRead.model_validate(entry)


@router.post("/entries/{entry_id}/expire")
def expire_entry(
    entry_id: int, body: ListEntryExpire, session: SessionDep, caller: Analyst
) -> lists.ListEntryRead:
    entry = lists.expire_entry(
        session, entry_id=entry_id, expires_at=body.expires_at, actor=caller.actor
    )
    return lists.ListEntryRead.model_validate(entry)


@router.delete("/entries/{entry_id}", status_code=204)
def remove_entry(entry_id: int, session: SessionDep, caller: Analyst) -> Response:
    lists.remove_entry(session, entry_id=entry_id, actor=caller.actor)
    return Response(status_code=204)
