"""Signing in and out: password, second factor, forced password change, TOTP enrolment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from tradeguard.auth import console_sessions, operators, totp
from tradeguard.auth.console_sessions import Current
from tradeguard.auth.operators import SignInFailure
from tradeguard.db.base import utcnow
from tradeguard.engine import audit
from tradeguard.errors import Invalid, TradeGuardError, Unauthorized
from tradeguard.web.security import (
    PREFIX,
    PartSignedIn,
    RuntimeDep,
    SessionDep,
    ViewerPost,
    check_csrf,
    check_login_form,
    clear_session_cookie,
    current_session,
    login_form_token,
    set_login_nonce,
    set_session_cookie,
    stage_page,
)
from tradeguard.web.templating import page, redirect, safe_next

router = APIRouter(prefix=PREFIX, include_in_schema=False)
Text = Annotated[str, Form(max_length=4000)]


def _client(request: Request) -> tuple[str | None, str | None]:
    return (request.client.host if request.client else None, request.headers.get("user-agent"))


def _login_page(
    request: Request, runtime: RuntimeDep, *, status: int = 200, **context: str
) -> Response:
    token, nonce = login_form_token(request, runtime.secret_key)
    response = page(
        request,
        "login.html",
        None,
        status=status,
        title="Sign in",
        form_token=token,
        **{"next": "", "username": "", "error": "", **context},
    )
    set_login_nonce(request, response, nonce)
    return response


@router.get("/login")
def login_form(
    request: Request, runtime: RuntimeDep, session: SessionDep, next: str = ""
) -> Response:
    current = current_session(request, session)
    if current is not None and current.stage == "active":
        return redirect(request, safe_next(next))
    return _login_page(request, runtime, next=safe_next(next))


def _continue(
    request: Request, session: SessionDep, current: Current, *, done: bool, next_url: str
) -> Response:
    """Advance the session to whatever the operator must do next, under a new token."""
    stage = console_sessions.next_stage(current.operator, second_factor_done=done)
    if stage == "active":
        operators.signed_in(session, current.operator)
    token = console_sessions.advance(session, current, stage=stage)
    target = safe_next(next_url) if stage == "active" else stage_page(stage)
    response = redirect(request, target)
    set_session_cookie(request, response, token)
    return response


@router.post("/login")
def login(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    check_login_form(request, csrf_token, runtime.secret_key)
    result = operators.check_password(session, username=username, password=password)
    if isinstance(result, SignInFailure):
        locked = "locked" in result.message
        return _login_page(
            request,
            runtime,
            status=429 if locked else 401,
            error=result.message,
            username=username[:64],
            next=safe_next(next),
        )
    ip, agent = _client(request)
    # Two-factor sign-in is compulsory, so a new session never starts out active.
    first = console_sessions.next_stage(result, second_factor_done=False)
    token = console_sessions.start(session, result, stage=first, ip=ip, user_agent=agent)
    target = stage_page(first) + (f"?next={safe_next(next)}" if first == "totp" else "")
    response = redirect(request, target)
    set_session_cookie(request, response, token)
    return response


@router.get("/login/second-factor")
def second_factor_form(request: Request, current: PartSignedIn, next: str = "") -> Response:
    if current.stage != "totp":
        return redirect(request, stage_page(current.stage))
    return page(
        request,
        "second_factor.html",
        None,
        title="Two-factor sign-in",
        csrf_token=current.session.csrf_token,
        next=safe_next(next),
    )


@router.post("/login/second-factor")
async def second_factor(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    current: PartSignedIn,
    code: Annotated[str, Form(max_length=40)],
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    await check_csrf(request, current)
    if current.stage != "totp":
        return redirect(request, stage_page(current.stage))
    if operators.check_second_factor(
        session, current.operator, code=code, secret_key=runtime.secret_key
    ):
        return _continue(request, session, current, done=True, next_url=next)
    locked = operators.locked_message(current.operator, utcnow())
    if locked:
        console_sessions.end(session, current)
        response = redirect(request, f"{PREFIX}/login", flash=locked)
        clear_session_cookie(request, response)
        return response
    return page(
        request,
        "second_factor.html",
        None,
        status=401,
        title="Two-factor sign-in",
        csrf_token=current.session.csrf_token,
        next=safe_next(next),
        error="That code is not right. Codes change every 30 seconds; each works once.",
    )


@router.get("/password")
def password_form(request: Request, current: PartSignedIn) -> Response:
    if current.stage not in ("change_password", "active"):
        return redirect(request, stage_page(current.stage))
    return _password_page(request, current)


def _password_page(
    request: Request, current: Current, *, error: str = "", status: int = 200
) -> Response:
    forced = current.stage == "change_password"
    return page(
        request,
        "password.html",
        None if forced else current,
        status=status,
        title="Password",
        forced=forced,
        error=error,
        csrf_token=current.session.csrf_token,
        username=current.operator.username,
    )


@router.post("/password")
async def change_password(
    request: Request,
    session: SessionDep,
    current: PartSignedIn,
    current_password: Annotated[str, Form(alias="current", max_length=1000)],
    new: Annotated[str, Form(max_length=1000)],
    confirm: Annotated[str, Form(max_length=1000)],
) -> Response:
    await check_csrf(request, current)
    if current.stage not in ("change_password", "active"):
        return redirect(request, stage_page(current.stage))
    try:
        if new != confirm:
            raise Invalid("the two new passwords differ")
        operators.change_password(session, current.operator, current=current_password, new=new)
    except (Invalid, Unauthorized) as exc:
        return _password_page(request, current, error=exc.detail, status=exc.status)
    console_sessions.end_others(session, current)
    if current.stage == "change_password":
        return _continue(request, session, current, done=True, next_url="")
    return redirect(request, f"{PREFIX}/account", flash="Password changed; other sessions ended.")


@router.get("/two-factor")
def enrol_form(
    request: Request, runtime: RuntimeDep, current: PartSignedIn, error: str = ""
) -> Response:
    if current.stage != "enrol":
        return redirect(request, stage_page(current.stage))
    return _enrol_page(request, runtime, current)


def _enrol_page(
    request: Request, runtime: RuntimeDep, current: Current, *, error: str = "", status: int = 200
) -> Response:
    key = runtime.secret_key
    secret = operators.pending_secret(current.operator, secret_key=key)
    if secret is None:
        secret = operators.begin_enrolment(current.operator, secret_key=key)
    uri = totp.provisioning_uri(secret, current.operator.username)
    return page(
        request,
        "enrol.html",
        None,
        status=status,
        title="Two-factor sign-in",
        qr=totp.qr_data_uri(uri),
        secret=secret,
        error=error,
        csrf_token=current.session.csrf_token,
    )


@router.post("/two-factor")
async def enrol(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    current: PartSignedIn,
    code: Annotated[str, Form(max_length=40)],
) -> Response:
    await check_csrf(request, current)
    if current.stage != "enrol":
        return redirect(request, stage_page(current.stage))
    try:
        codes = operators.confirm_enrolment(
            session, current.operator, code=code, secret_key=runtime.secret_key
        )
    except TradeGuardError as exc:
        return _enrol_page(request, runtime, current, error=exc.detail, status=exc.status)
    operators.signed_in(session, current.operator)
    token = console_sessions.advance(session, current, stage="active")
    response = page(
        request,
        "recovery_codes.html",
        None,
        title="Recovery codes",
        codes=codes,
        next=f"{PREFIX}/",
    )
    set_session_cookie(request, response, token)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, current: ViewerPost) -> Response:
    console_sessions.end(session, current)
    audit.record(
        session,
        actor=operators.actor_of(current.operator),
        action="operator.sign_out",
        target_type="operator",
        target_id=current.operator.id,
    )
    response = redirect(request, f"{PREFIX}/login", flash="You are signed out.")
    clear_session_cookie(request, response)
    return response
