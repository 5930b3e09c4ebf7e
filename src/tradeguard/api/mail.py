"""Screen inbound mail: the raw message as the mail server received it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import AwareDatetime
from starlette.concurrency import run_in_threadpool

from tradeguard.api.deps import Ingest, RuntimeDep
from tradeguard.domains.mail.service import screen_message
from tradeguard.engine.verdicts import Verdict
from tradeguard.errors import UnsupportedMediaType

router = APIRouter(prefix="/v1", tags=["mail"])
RFC822 = "message/rfc822"


@router.post(
    "/events/email",
    status_code=201,
    response_model=Verdict,
    responses={200: {"model": Verdict, "description": "seen before: the stored verdict"}},
    openapi_extra={"requestBody": {"content": {RFC822: {"schema": {"type": "string"}}}}},
)
async def post_email(
    request: Request,
    runtime: RuntimeDep,
    caller: Ingest,
    id: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="default: mail-<sha-256 of the bytes>"),
    ] = None,
    received_at: Annotated[
        AwareDatetime | None, Query(description="default: the Date header, else now")
    ] = None,
) -> Response:
    """Screen one message sent as ``message/rfc822``: allow, review (warn) or block (quarantine)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != RFC822:
        raise UnsupportedMediaType(f"send the raw message as {RFC822}")
    raw = await request.body()
    verdict = await run_in_threadpool(
        screen_message,
        runtime.sessions,
        raw=raw,
        context=runtime.mail,
        actor=caller.actor,
        counters=runtime.counters,
        event_id=id,
        received_at=received_at,
    )
    return Response(
        verdict.model_dump_json(),
        status_code=200 if verdict.replayed else 201,
        media_type="application/json",
    )
