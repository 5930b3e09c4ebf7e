"""RFC 9457 problem+json for every error, rendered in one place."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from tradeguard.errors import TradeGuardError, readable

log = logging.getLogger("tradeguard.api")
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, path: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body["instance"] = path
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


# Renders an error as a page for browsers: (request, status, title, detail) -> response.
PageRenderer = Callable[[Request, int, str, str], Response]


def install(app: FastAPI, *, pages: tuple[str, PageRenderer] | None = None) -> None:
    """Errors under the ``pages`` path prefix become HTML pages; everything else problem+json."""

    def respond(request: Request, status: int, title: str, detail: str, **extra: Any) -> Response:
        if pages is not None and request.url.path.startswith(pages[0]):
            return pages[1](request, status, title, detail)
        return problem(status, title, detail, request.url.path, **extra)

    @app.exception_handler(TradeGuardError)
    async def _ours(request: Request, exc: TradeGuardError) -> Response:
        response = respond(request, exc.status, exc.title, exc.detail, **exc.extra)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "problem": readable(e["msg"])}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['problem']}" for e in errors[:5])
        return respond(request, 422, "Invalid input", detail, errors=errors)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
        return respond(request, exc.status_code, title, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return respond(request, 500, "Internal error", "the server could not handle this request")
