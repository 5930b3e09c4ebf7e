"""The model registry over HTTP: list versions, run one live or in shadow, roll back."""

from __future__ import annotations

from fastapi import APIRouter

from tradeguard.api.deps import Admin, Analyst, SessionDep
from tradeguard.api.rules import StatusChange
from tradeguard.engine import models

router = APIRouter(prefix="/v1/models", tags=["models"])


@router.get("")
def list_models(session: SessionDep, _: Analyst) -> list[models.ModelRead]:
    return [models.ModelRead.model_validate(r) for r in models.list_records(session)]


@router.get("/{name}/{version}")
def read_model(name: str, version: int, session: SessionDep, _: Analyst) -> models.ModelRead:
    return models.ModelRead.model_validate(models.get_record(session, name, version))


@router.post("/{name}/{version}/status")
def change_status(
    name: str, version: int, body: StatusChange, session: SessionDep, caller: Admin
) -> models.ModelRead:
    record = models.set_status(
        session, name=name, version=version, status=body.status, actor=caller.actor
    )
    return models.ModelRead.model_validate(record)


@router.post("/{name}/rollback")
def rollback(name: str, session: SessionDep, caller: Admin) -> models.ModelRead:
    return models.ModelRead.model_validate(models.rollback(session, name=name, actor=caller.actor))
