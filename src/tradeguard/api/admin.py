"""API keys and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tradeguard.api.deps import Admin, Analyst, SessionDep
from tradeguard.auth import keys
from tradeguard.engine import audit

router = APIRouter(prefix="/v1", tags=["admin"])


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: keys.Role
    name: str = Field(min_length=1, max_length=120)


class KeyCreated(keys.ApiKeyRead):
    key: str = Field(description="shown once; store it now")


@router.get("/keys")
def list_keys(session: SessionDep, _: Admin) -> list[keys.ApiKeyRead]:
    return [keys.ApiKeyRead.model_validate(k) for k in keys.list_keys(session)]


@router.post("/keys", status_code=201)
def create_key(body: KeyCreate, session: SessionDep, caller: Admin) -> KeyCreated:
    record, plaintext = keys.create(session, role=body.role, name=body.name, actor=caller.actor)
    return KeyCreated(**keys.ApiKeyRead.model_validate(record).model_dump(), key=plaintext)


@router.delete("/keys/{key_id}")
def revoke_key(
    key_id: int, request: Request, session: SessionDep, caller: Admin
) -> keys.ApiKeyRead:
    revoked = keys.revoke(session, key_id=key_id, actor=caller.actor)
    session.flush()
    request.app.state.key_cache.clear()  # other workers follow within KEY_CACHE_SECONDS
    return keys.ApiKeyRead.model_validate(revoked)


@router.get("/audit")
def search_audit(
    session: SessionDep,
    _: Analyst,
    actor: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[audit.AuditRead]:
    rows = audit.search(
        session,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        since=since,
        until=until,
        text=q,
        before_id=cursor,
        limit=limit,
    )
    return [audit.AuditRead.model_validate(r) for r in rows]
