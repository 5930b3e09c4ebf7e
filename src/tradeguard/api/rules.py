"""Rule packs: upload a version, view it, run it live or in shadow, back-test it."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, model_validator

from tradeguard.api.deps import Admin, Analyst, RuntimeDep, SessionDep
from tradeguard.db.session import unit_of_work
from tradeguard.engine import rulepacks
from tradeguard.engine.backtest import BacktestReport, backtest_version
from tradeguard.errors import BadRequest, UnsupportedMediaType

router = APIRouter(prefix="/v1/rule-packs", tags=["rules"])
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/plain")


class RulePackDetail(rulepacks.RulePackRead):
    source: str


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["live", "shadow", "inactive"]


class BacktestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: AwareDatetime
    until: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> BacktestRequest:
        if self.until <= self.since:
            raise ValueError("until must be after since")
        return self


@router.get("")
def list_packs(session: SessionDep, _: Analyst) -> list[rulepacks.RulePackRead]:
    return [rulepacks.RulePackRead.model_validate(r) for r in rulepacks.list_records(session)]


@router.post("", status_code=201)
async def upload_pack(request: Request, runtime: RuntimeDep, caller: Admin) -> RulePackDetail:
    """The body is the pack's YAML text (``Content-Type: application/yaml``)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type not in YAML_TYPES:
        raise UnsupportedMediaType(f"send the rule pack as one of {', '.join(YAML_TYPES)}")
    try:
        source = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the rule pack is not UTF-8 text") from None
    with unit_of_work(runtime.sessions) as session:
        record = rulepacks.upload(session, source=source, actor=caller.actor)
        return RulePackDetail.model_validate(record)


@router.get("/{pack_id}/{version}")
def read_pack(pack_id: str, version: int, session: SessionDep, _: Analyst) -> RulePackDetail:
    return RulePackDetail.model_validate(rulepacks.get_record(session, pack_id, version))


@router.post("/{pack_id}/{version}/status")
def change_status(
    pack_id: str, version: int, body: StatusChange, session: SessionDep, caller: Admin
) -> rulepacks.RulePackRead:
    record = rulepacks.set_status(
        session, pack_id=pack_id, version=version, status=body.status, actor=caller.actor
    )
    return rulepacks.RulePackRead.model_validate(record)


@router.post("/{pack_id}/{version}/backtest")
def run_backtest(
    pack_id: str, version: int, body: BacktestRequest, runtime: RuntimeDep, caller: Analyst
) -> BacktestReport:
    with unit_of_work(runtime.sessions) as session:
        return backtest_version(
            session,
            pack_id=pack_id,
            version=version,
            since=body.since,
            until=body.until,
            counters=runtime.counters(session),
            actor=caller.actor,
        )
