"""An operator's own account: sessions, recovery codes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from tradeguard.auth import console_sessions, operators, passwords
from tradeguard.errors import Unauthorized
from tradeguard.web.security import PREFIX, RuntimeDep, SessionDep, Viewer, ViewerPost
from tradeguard.web.templating import page, redirect

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/account")
def account(request: Request, session: SessionDep, current: Viewer) -> Response:
    return page(
        request,
        "account.html",
        current,
        title="Your account",
        codes_left=operators.recovery_codes_left(session, current.operator),
        sessions=console_sessions.active_for(session, current.operator),
        this_session=current.session.id,
    )


@router.post("/account/recovery-codes")
def new_codes(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    current: ViewerPost,
    password: Annotated[str, Form(max_length=1000)],
) -> Response:
    if not passwords.verify(current.operator.password_hash, password).ok:
        raise Unauthorized("the password is wrong")
    codes = operators.new_recovery_codes(
        session,
        current.operator,
        secret_key=runtime.secret_key,
        actor=operators.actor_of(current.operator),
    )
    return page(
        request,
        "recovery_codes.html",
        current,
        title="Recovery codes",
        codes=codes,
        next=f"{PREFIX}/account",
    )


@router.post("/account/sessions/end-others")
def end_others(request: Request, session: SessionDep, current: ViewerPost) -> Response:
    ended = console_sessions.end_others(session, current)
    return redirect(request, f"{PREFIX}/account", flash=f"Signed out {ended} other session(s).")
