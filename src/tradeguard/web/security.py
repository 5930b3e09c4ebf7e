"""What keeps the console safe in a browser: cookies, CSRF, roles and response headers.

CSRF is stopped three ways: SameSite=Lax cookies, a synchroniser token in every form (checked
against the session row), and a same-origin check on Origin / Sec-Fetch-Site. The sign-in form
has no session yet, so it uses a signed double-submit cookie instead.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradeguard.api.deps import RuntimeDep, SessionDep
from tradeguard.auth import console_sessions
from tradeguard.auth.console_sessions import Current
from tradeguard.auth.operators import OperatorRole
from tradeguard.auth.sealing import keyed_digest
from tradeguard.errors import BadRequest, Forbidden

PREFIX = "/console"
LOGIN_NONCE_COOKIE = "tg_login"
LOGIN_PURPOSE = "tradeguard/console-login-csrf/v1"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
_RANK = {OperatorRole.VIEWER: 0, OperatorRole.ANALYST: 1, OperatorRole.ADMIN: 2}


class SignInRequired(Exception):
    """Raised by a dependency; the handler sends the browser to the page it must see next."""

    def __init__(self, location: str) -> None:
        self.location = location


def is_secure(request: Request) -> bool:
    return request.url.scheme == "https"


def session_cookie(request: Request) -> str:
    # The __Host- prefix pins the cookie to this host and path, but browsers require Secure.
    return "__Host-tg_session" if is_secure(request) else "tg_session"


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        session_cookie(request),
        token,
        httponly=True,
        secure=is_secure(request),
        samesite="lax",
        path="/",
        max_age=int(console_sessions.ABSOLUTE_TIMEOUT.total_seconds()),
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(session_cookie(request), path="/", secure=is_secure(request))


def same_origin(request: Request) -> bool:
    """False when the browser says the request came from another site."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    parts = urlsplit(origin)
    return (parts.scheme, parts.netloc) == (request.url.scheme, request.url.netloc)


def login_form_token(request: Request, secret_key: str) -> tuple[str, str]:
    """The sign-in form's CSRF token and its nonce: HMAC of a random value kept in a cookie."""
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE)
    if not nonce or len(nonce) > 64:
        nonce = secrets.token_urlsafe(24)
    return keyed_digest(secret_key, LOGIN_PURPOSE, nonce), nonce


def set_login_nonce(request: Request, response: Response, nonce: str) -> None:
    response.set_cookie(
        LOGIN_NONCE_COOKIE,
        nonce,
        httponly=True,
        secure=is_secure(request),
        samesite="strict",
        path=PREFIX,
        max_age=1800,
    )


def check_login_form(request: Request, token: str, secret_key: str) -> None:
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE, "")
    expected = keyed_digest(secret_key, LOGIN_PURPOSE, nonce)
    if not nonce or not same_origin(request) or not hmac.compare_digest(expected, token):
        raise Forbidden("the sign-in form expired or came from another site; reload and retry")


def _next_for(request: Request) -> str:
    if request.method != "GET":
        return PREFIX + "/"
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def stage_page(stage: str) -> str:
    return {
        "totp": f"{PREFIX}/login/second-factor",
        "change_password": f"{PREFIX}/password",
        "enrol": f"{PREFIX}/two-factor",
    }.get(stage, f"{PREFIX}/")


def current_session(request: Request, session: SessionDep) -> Current | None:
    return console_sessions.load(session, request.cookies.get(session_cookie(request)))


def partly_signed_in(
    request: Request, current: Annotated[Current | None, Depends(current_session)]
) -> Current:
    """A session at any stage: for the pages that finish signing in."""
    if current is None:
        raise SignInRequired(f"{PREFIX}/login?next={quote(_next_for(request))}")
    return current


def signed_in(current: Annotated[Current, Depends(partly_signed_in)]) -> Current:
    if current.stage != "active":
        raise SignInRequired(stage_page(current.stage))
    return current


async def check_csrf(request: Request, current: Current) -> None:
    form = await request.form()
    token = request.headers.get("x-csrf-token") or form.get("csrf_token")
    if (
        not isinstance(token, str)
        or not same_origin(request)
        or not hmac.compare_digest(token, current.session.csrf_token)
    ):
        raise Forbidden("this form is out of date or came from another site; reload the page")


async def refuse_nul(request: Request) -> None:
    """No console input may hold NUL: PostgreSQL text cannot store it, and no person types it."""
    nul = "\x00"
    if nul in request.url.path or any(nul in v for _, v in request.query_params.multi_items()):
        raise BadRequest("text may not contain NUL characters")
    if request.method == "POST":
        form = await request.form()
        if any(isinstance(v, str) and nul in v for _, v in form.multi_items()):
            raise BadRequest("text may not contain NUL characters")


def allowed(current: Current, role: OperatorRole) -> bool:
    return _RANK[OperatorRole(current.operator.role)] >= _RANK[role]


def acting_as(role: OperatorRole) -> Callable[..., Awaitable[Current]]:
    """A dependency for a form post: signed in, CSRF token right, and at least ``role``."""

    async def check(request: Request, current: Annotated[Current, Depends(signed_in)]) -> Current:
        await check_csrf(request, current)
        if not allowed(current, role):
            raise Forbidden(f"a {current.operator.role} may not do this")
        return current

    return check


def reading_as(role: OperatorRole) -> Callable[..., Current]:
    def check(current: Annotated[Current, Depends(signed_in)]) -> Current:
        if not allowed(current, role):
            raise Forbidden(f"a {current.operator.role} may not see this page")
        return current

    return check


Viewer = Annotated[Current, Depends(signed_in)]
AdminPage = Annotated[Current, Depends(reading_as(OperatorRole.ADMIN))]
ViewerPost = Annotated[Current, Depends(acting_as(OperatorRole.VIEWER))]
AnalystPost = Annotated[Current, Depends(acting_as(OperatorRole.ANALYST))]
AdminPost = Annotated[Current, Depends(acting_as(OperatorRole.ADMIN))]
PartSignedIn = Annotated[Current, Depends(partly_signed_in)]


class SecurityHeaders:
    """Headers every response carries; console pages get a strict CSP and are never cached.

    Plain ASGI rather than BaseHTTPMiddleware, so API requests pay almost nothing for it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if path.startswith(PREFIX + "/static/"):
                    headers.setdefault("Cache-Control", "public, max-age=3600")
                elif path.startswith(PREFIX) or path == "/":
                    headers.setdefault("Content-Security-Policy", CSP)
                    headers.setdefault("X-Frame-Options", "DENY")
                    headers.setdefault("Cache-Control", "no-store")
                    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
            await send(message)

        await self.app(scope, receive, with_headers)


__all__ = ["RuntimeDep", "SessionDep"]
