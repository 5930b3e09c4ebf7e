"""Errors on console pages: a readable page, or for HTMX a message in the page's status area."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from tradeguard.web.security import PREFIX, SignInRequired
from tradeguard.web.templating import templates


def render(request: Request, status: int, title: str, detail: str) -> Response:
    context = {"title": title, "detail": detail}
    if request.headers.get("hx-request") == "true":
        response = templates.TemplateResponse(request, "_problem.html", context, status_code=status)
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    referer = urlsplit(request.headers.get("referer", ""))
    back = referer.path if referer.netloc == request.url.netloc and referer.path else PREFIX + "/"
    return templates.TemplateResponse(
        request, "error.html", {**context, "back": back}, status_code=status
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        if request.headers.get("hx-request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": exc.location})
        return RedirectResponse(exc.location, status_code=303)
