"""Operator administration (admins only): create, role, unlock, reset, disable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from tradeguard.auth import operators
from tradeguard.auth.models import Operator
from tradeguard.auth.operators import actor_of
from tradeguard.db.base import utcnow
from tradeguard.web.security import PREFIX, AdminPage, AdminPost, SessionDep
from tradeguard.web.templating import page, redirect

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/operators")
def listing(request: Request, session: SessionDep, current: AdminPage) -> Response:
    return page(
        request,
        "operators.html",
        current,
        title="Operators",
        operators=operators.list_operators(session),
        roles=[r.value for r in operators.OperatorRole],
        now=utcnow(),
    )


@router.post("/operators")
def create(
    request: Request,
    session: SessionDep,
    current: AdminPost,
    username: Annotated[str, Form(max_length=100)],
    role: Annotated[operators.OperatorRole, Form()],
    display_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    operator, one_time = operators.create(
        session,
        username=username,
        role=role,
        display_name=display_name,
        actor=actor_of(current.operator),
    )
    return page(
        request,
        "one_time_password.html",
        current,
        title="New operator",
        operator=operator,
        password=one_time,
        what="created",
    )


@router.post("/operators/{operator_id}/reset-password")
def reset_password(
    request: Request, session: SessionDep, current: AdminPost, operator_id: int
) -> Response:
    operator, one_time = operators.reset_password(
        session, operator_id=operator_id, actor=actor_of(current.operator)
    )
    return page(
        request,
        "one_time_password.html",
        current,
        title="Password reset",
        operator=operator,
        password=one_time,
        what="given a new one-time password",
    )


@router.post("/operators/{operator_id}/role")
def set_role(
    request: Request,
    session: SessionDep,
    current: AdminPost,
    operator_id: int,
    role: Annotated[operators.OperatorRole, Form()],
) -> Response:
    operator = operators.set_role(
        session, operator_id=operator_id, role=role, actor=actor_of(current.operator)
    )
    return redirect(
        request, f"{PREFIX}/operators", flash=f"{operator.username} is now {role.value}."
    )


def _simple(path: str, action: Callable[..., Operator], done: str) -> None:
    @router.post(f"/operators/{{operator_id}}/{path}", name=f"operator_{path}")
    def handler(
        request: Request, session: SessionDep, current: AdminPost, operator_id: int
    ) -> Response:
        operator = action(session, operator_id=operator_id, actor=actor_of(current.operator))
        return redirect(request, f"{PREFIX}/operators", flash=f"{operator.username}: {done}.")


_simple("unlock", operators.unlock, "unlocked")
_simple("disable", operators.disable, "disabled, sessions ended")
_simple("enable", operators.enable, "enabled")
_simple("reset-2fa", operators.reset_second_factor, "two-factor reset; enrols again at sign-in")
