"""Fraud models: every version with its training window, metrics and thresholds; admins run
one live or in shadow, or roll back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from tradeguard.auth.operators import actor_of
from tradeguard.engine import models
from tradeguard.web.security import PREFIX, AdminPost, SessionDep, Viewer
from tradeguard.web.templating import page, redirect

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/models")
def model_list(request: Request, session: SessionDep, current: Viewer) -> Response:
    grouped: dict[str, list[models.ModelRead]] = {}
    for record in models.list_records(session):
        grouped.setdefault(record.name, []).append(models.ModelRead.model_validate(record))
    return page(request, "models.html", current, title="Models", models=grouped)


@router.post("/models/{name}/{version}/status")
def change_status(
    request: Request,
    session: SessionDep,
    current: AdminPost,
    name: str,
    version: int,
    status: Annotated[models.Status, Form()],
) -> Response:
    models.set_status(
        session, name=name, version=version, status=status, actor=actor_of(current.operator)
    )
    return redirect(request, f"{PREFIX}/models", flash=f"{name}@{version} is now {status}.")


@router.post("/models/{name}/rollback")
def rollback(request: Request, session: SessionDep, current: AdminPost, name: str) -> Response:
    record = models.rollback(session, name=name, actor=actor_of(current.operator))
    return redirect(
        request, f"{PREFIX}/models", flash=f"Rolled back: {name}@{record.version} is live again."
    )
