"""The console: server-rendered pages (Jinja2) enhanced with HTMX, served by the API's app."""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from tradeguard.web import (
    account_views,
    audit_views,
    auth_views,
    cases_views,
    errors,
    events_views,
    levels_views,
    lists_views,
    models_views,
    operators_views,
    overview,
    passwords_views,
    rules_views,
)
from tradeguard.web.security import PREFIX, SecurityHeaders, refuse_nul

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="console-static")
    for module in (
        auth_views,
        account_views,
        overview,
        events_views,
        cases_views,
        lists_views,
        rules_views,
        models_views,
        levels_views,
        passwords_views,
        audit_views,
        operators_views,
    ):
        app.include_router(module.router, dependencies=[Depends(refuse_nul)])
    errors.install(app)
    app.add_middleware(SecurityHeaders)
