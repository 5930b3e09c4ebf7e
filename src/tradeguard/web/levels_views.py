"""Protection levels: the layer x level heat map, each cell's controls and evidence, the trend,
what to fix next, attestations (admins), and the report for managers."""

from __future__ import annotations

import base64
import hashlib
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from tradeguard.api.deps import RuntimeDep
from tradeguard.auth.operators import actor_of
from tradeguard.errors import Invalid, NotFound
from tradeguard.levels import attestations, service
from tradeguard.levels.catalog import MARKETS, Market
from tradeguard.levels.schemas import AttestationCreate
from tradeguard.web.forms import blank_none
from tradeguard.web.security import PREFIX, AdminPost, AnalystPost, SessionDep, Viewer
from tradeguard.web.templating import page, redirect, safe_next

router = APIRouter(prefix=PREFIX, include_in_schema=False)
MarketQuery = Annotated[list[str], Query(alias="market")]


def _query(markets: list[Market]) -> str:
    return "&".join(f"market={m}" for m in markets)


@router.get("/levels")
def levels(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    current: Viewer,
    market: MarketQuery = [],  # noqa: B006
) -> Response:
    result = service.assess_cached(session, settings=runtime.settings, markets=market)
    history = service.trend(session, markets=result.markets)
    chart = {
        "labels": [s.as_of.strftime("%Y-%m-%d %H:%M") for s in history],
        "series": [{"label": "overall", "data": [s.overall_level for s in history]}]
        + [
            {"label": layer.title, "data": [s.layers.get(layer.id, 0) for s in history]}
            for layer in result.layers
        ],
    }
    return page(
        request,
        "levels.html",
        current,
        title="Protection levels",
        result=result,
        markets=MARKETS,
        query=_query(result.markets),
        history=history,
        chart=chart,
        attested=attestations.history(session)[:50],
        now=result.as_of,
    )


@router.get("/levels/cells/{layer_id}/{level}")
def cell(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    current: Viewer,
    layer_id: str,
    level: int,
    market: MarketQuery = [],  # noqa: B006
) -> Response:
    result = service.assess_cached(session, settings=runtime.settings, markets=market)
    layer = next((lay for lay in result.layers if lay.id == layer_id), None)
    found = next((c for c in layer.cells if c.level == level), None) if layer else None
    if layer is None or found is None:
        raise NotFound(f"no cell {layer_id} L{level}")
    return page(
        request,
        "level_cell.html",
        current,
        title=f"{layer.title} L{level}",
        layer=layer,
        cell=found,
        result=result,
        query=_query(result.markets),
        today=result.as_of.date(),
    )


@router.get("/levels/report.{kind}")
def report(
    session: SessionDep,
    runtime: RuntimeDep,
    current: Viewer,
    kind: str,
    market: MarketQuery = [],  # noqa: B006
) -> Response:
    """The manager's report of the assessment shown, as HTML or PDF."""
    from tradeguard.levels.report import render_html
    from tradeguard.levels.report_pdf import render_pdf

    if kind not in ("html", "pdf"):
        raise NotFound("the report comes as report.html or report.pdf")
    result = service.assess_cached(session, settings=runtime.settings, markets=market)
    history = service.trend(session, markets=result.markets)
    stamp = f"tradeguard-assessment-{result.as_of:%Y%m%d}"
    if kind == "html":
        html = render_html(result, history=history)
        return HTMLResponse(html, headers={"Content-Security-Policy": report_csp(html)})
    return Response(
        render_pdf(result, history=history),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{stamp}.pdf"'},
    )


def report_csp(html: str) -> str:
    """The report is one self-contained file with its own <style>: allow exactly that block
    (by hash), and nothing else, so the console's no-inline-style policy still holds."""
    start = html.find("<style>") + len("<style>")
    digest = hashlib.sha256(html[start : html.find("</style>", start)].encode()).digest()
    style = base64.b64encode(digest).decode()
    return (
        f"default-src 'none'; style-src 'sha256-{style}'; img-src data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


@router.post("/levels/snapshots")
def record(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    current: AnalystPost,
    market: Annotated[list[str], Form()] = [],  # noqa: B006
) -> Response:
    markets = service.parse_markets(market)
    result, _ = service.record(
        session, settings=runtime.settings, markets=markets, actor=actor_of(current.operator)
    )
    flash = f"Recorded: overall level {result.overall_level} of 4."
    return redirect(request, f"{PREFIX}/levels?{_query(markets)}", flash=flash)


@router.post("/levels/attestations")
def attest(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    current: AdminPost,
    control_id: Annotated[str, Form(max_length=40)],
    statement: Annotated[str, Form(max_length=4000)],
    expires_on: Annotated[str, Form(max_length=10)],
    document: Annotated[str, Form(max_length=500)] = "",
    back: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    try:
        expiry = date.fromisoformat(expires_on)
    except ValueError:
        raise Invalid("the expiry must be a date (YYYY-MM-DD)") from None
    if len(statement.strip()) < 10:
        raise Invalid("say in a sentence what is in place (10 characters at least)")
    body = AttestationCreate(
        control_id=control_id,
        statement=statement,
        document=blank_none(document),
        expires_on=expiry,
    )
    catalog = service.catalog_for(runtime.settings)
    row = attestations.attest(session, catalog=catalog, body=body, actor=actor_of(current.operator))
    flash = f"{row.control_id} attested until {row.expires_at:%Y-%m-%d}."
    return redirect(request, _back(back), flash=flash)


@router.post("/levels/attestations/{attestation_id}/revoke")
def revoke(
    request: Request,
    session: SessionDep,
    current: AdminPost,
    attestation_id: int,
    back: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    row = attestations.revoke(
        session, attestation_id=attestation_id, actor=actor_of(current.operator)
    )
    return redirect(request, _back(back), flash=f"Attestation of {row.control_id} revoked.")


def _back(target: str) -> str:
    """Back to the page the form was on, if it was a levels page."""
    return safe_next(target) if target.startswith(f"{PREFIX}/levels") else f"{PREFIX}/levels"
