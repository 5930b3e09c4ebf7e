"""RFC 9457 problem+json for every error, rendered in one place."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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


def install(app: FastAPI) -> None:
    @app.exception_handler(TradeGuardError)
    async def _ours(request: Request, exc: TradeGuardError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, request.url.path, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "problem": readable(e["msg"])}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['problem']}" for e in errors[:5])
        return problem(422, "Invalid input", detail, request.url.path, errors=errors)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
        return problem(exc.status_code, title, str(exc.detail), request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(
            500, "Internal error", "the server could not handle this request", request.url.path
        )
