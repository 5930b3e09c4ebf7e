"""Merchants: where one stands after screening, and the ring of merchants linked to it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tradeguard.api.deps import Analyst, SessionDep
from tradeguard.domains.merchants import rings
from tradeguard.domains.merchants.summary import MerchantSummary, merchant_summary

router = APIRouter(prefix="/v1", tags=["merchants"])


# ``:path`` so an id with a slash still reaches the route (sent as %2F); the ring route comes
# first, or the summary's path parameter would swallow its ``/ring``.
@router.get("/merchants/{merchant_id:path}/ring")
def read_ring(
    merchant_id: str,
    session: SessionDep,
    _: Analyst,
    depth: Annotated[int, Query(ge=1, le=rings.MAX_DEPTH)] = 2,
    ip: Annotated[bool, Query(description="follow shared IP addresses too")] = True,
) -> rings.Ring:
    """Merchants sharing a bank account, person, phone, device or address with this one.

    Analysts only: the answer joins many merchants' owners and bank details.
    """
    types = [t for t in rings.LINK_TYPES if ip or t != "ip"]
    return rings.find_ring(session, merchant_id, depth, link_types=types)


@router.get("/merchants/{merchant_id:path}")
def read_merchant(merchant_id: str, session: SessionDep, _: Analyst) -> MerchantSummary:
    """The merchant's last application or update: its verdict, case and the checks behind it."""
    return merchant_summary(session, merchant_id)
