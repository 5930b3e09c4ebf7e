"""Accounts: the linked-account cluster an analyst reads beside a sign-up or login case."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tradeguard.api.deps import Analyst, SessionDep
from tradeguard.domains.accounts import clusters

router = APIRouter(prefix="/v1", tags=["accounts"])


# ``:path`` so an account id with a slash in it still reaches the route (sent as %2F).
@router.get("/accounts/{account_id:path}/cluster")
def read_cluster(
    account_id: str,
    session: SessionDep,
    _: Analyst,
    depth: Annotated[int, Query(ge=1, le=clusters.MAX_DEPTH)] = 2,
    ip: Annotated[bool, Query(description="follow shared IP addresses too")] = True,
) -> clusters.Cluster:
    """Accounts sharing a device, phone, card, inbox or IP with this one, up to ``depth`` links.

    Analysts only: the answer joins many customers' personal data, which an ingest key never
    needs.
    """
    return clusters.find_cluster(session, account_id=account_id, depth=depth, follow_ip=ip)
