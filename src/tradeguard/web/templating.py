"""Rendering console pages: one Jinja2 environment, the context every page needs, flashes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from tradeguard import __version__
from tradeguard.auth.console_sessions import Current
from tradeguard.auth.operators import OperatorRole
from tradeguard.levels.report import code_spans
from tradeguard.levels.units import format_bound, format_number
from tradeguard.web.security import PREFIX, allowed, is_secure

FLASH_COOKIE = "tg_flash"
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else ""


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    if moment is None:
        return ""
    seconds = int(((now or datetime.now(UTC)) - moment).total_seconds())
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if abs(seconds) >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


templates.env.filters.update(
    when=when, ago=ago, pretty=pretty, code=code_spans, amount=format_number, bound=format_bound
)
templates.env.globals.update(prefix=PREFIX, version=__version__)


def page(
    request: Request,
    name: str,
    current: Current | None,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A full page; for an HTMX request the same page, from which HTMX picks its fragment."""
    flash = unquote(request.cookies.get(FLASH_COOKIE, ""))[:300] or None
    if current is not None:
        context.update(
            me=current.operator,
            csrf=current.session.csrf_token,
            can_edit=allowed(current, OperatorRole.ANALYST),
            is_admin=allowed(current, OperatorRole.ADMIN),
        )
    response = templates.TemplateResponse(
        request, name, {"flash": flash, **context}, status_code=status
    )
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect(request: Request, url: str, *, flash: str | None = None) -> RedirectResponse:
    """POST, then redirect, then GET: a reload never repeats the action."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        response.set_cookie(
            FLASH_COOKIE,
            quote(flash),
            max_age=60,
            httponly=True,
            samesite="lax",
            path="/",
            secure=is_secure(request),
        )
    return response


def safe_next(target: str | None) -> str:
    """Only a console path is a valid place to return to (no open redirect)."""
    if target and target.startswith(PREFIX + "/") and "\\" not in target and "//" not in target:
        return target
    return PREFIX + "/"
