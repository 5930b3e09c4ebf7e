"""Rule packs: read a version, compare two, run a back-test, change status, upload."""

from __future__ import annotations

import difflib
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from tradeguard.auth.operators import actor_of
from tradeguard.engine import rulepacks
from tradeguard.engine.backtest import backtest_version
from tradeguard.errors import Invalid
from tradeguard.web.forms import moment
from tradeguard.web.security import PREFIX, AdminPost, AnalystPost, RuntimeDep, SessionDep, Viewer
from tradeguard.web.templating import page, redirect

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/rules")
def packs(request: Request, session: SessionDep, current: Viewer) -> Response:
    records = rulepacks.list_records(session)
    grouped: dict[str, list[object]] = {}
    for record in records:
        grouped.setdefault(record.pack_id, []).append(record)
    return page(request, "rules.html", current, title="Rule packs", packs=grouped)


@router.get("/rules/{pack_id}/diff")
def diff(
    request: Request, session: SessionDep, current: Viewer, pack_id: str, a: int, b: int
) -> Response:
    old, new = rulepacks.get_record(session, pack_id, a), rulepacks.get_record(session, pack_id, b)
    assert old is not None
    assert new is not None
    lines = list(
        difflib.unified_diff(
            old.source.splitlines(),
            new.source.splitlines(),
            fromfile=f"{pack_id}@{a}",
            tofile=f"{pack_id}@{b}",
            lineterm="",
            n=3,
        )
    )
    return page(
        request,
        "rule_diff.html",
        current,
        title=f"{pack_id} {a} → {b}",
        pack_id=pack_id,
        a=a,
        b=b,
        lines=lines,
        versions=[r.version for r in rulepacks.list_records(session, pack_id=pack_id)],
    )


@router.get("/rules/{pack_id}/{version}")
def pack(
    request: Request, session: SessionDep, current: Viewer, pack_id: str, version: int
) -> Response:
    record = rulepacks.get_record(session, pack_id, version)
    until = datetime.now(UTC).date() + timedelta(days=1)
    return page(
        request,
        "rule.html",
        current,
        title=f"{pack_id}@{version}",
        record=record,
        versions=[r.version for r in rulepacks.list_records(session, pack_id=pack_id)],
        since=(until - timedelta(days=14)).isoformat(),
        until=until.isoformat(),
    )


@router.post("/rules/{pack_id}/{version}/backtest")
def run_backtest(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    current: AnalystPost,
    pack_id: str,
    version: int,
    since: Annotated[str, Form(max_length=40)],
    until: Annotated[str, Form(max_length=40)],
) -> Response:
    start, end = moment(since, field="from"), moment(until, end_of_day=True, field="to")
    if start is None or end is None:
        raise Invalid("a back-test needs a from and a to date")
    report = backtest_version(
        session,
        pack_id=pack_id,
        version=version,
        since=start,
        until=end,
        counters=runtime.counters(session),
        actor=actor_of(current.operator),
    )
    return page(
        request,
        "backtest.html",
        current,
        title=f"Back-test {pack_id}@{version}",
        report=report,
        pack_id=pack_id,
        version=version,
    )


@router.post("/rules/{pack_id}/{version}/status")
def change_status(
    request: Request,
    session: SessionDep,
    current: AdminPost,
    pack_id: str,
    version: int,
    status: Annotated[rulepacks.Status, Form()],
) -> Response:
    rulepacks.set_status(
        session,
        pack_id=pack_id,
        version=version,
        status=status,
        actor=actor_of(current.operator),
    )
    return redirect(
        request,
        f"{PREFIX}/rules/{pack_id}/{version}",
        flash=f"{pack_id}@{version} is now {status}.",
    )


@router.post("/rules")
def upload(
    request: Request,
    session: SessionDep,
    current: AdminPost,
    source: Annotated[str, Form(max_length=200_000)],
) -> Response:
    record = rulepacks.upload(session, source=source, actor=actor_of(current.operator))
    return redirect(
        request,
        f"{PREFIX}/rules/{record.pack_id}/{record.version}",
        flash=f"Uploaded {record.pack_id}@{record.version}; it is inactive until you change that.",
    )
