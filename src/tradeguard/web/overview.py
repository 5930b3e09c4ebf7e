"""The overview: what was screened and decided, which rules fire, and the case queue."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from tradeguard.engine import history, stats
from tradeguard.engine.verdicts import Decision
from tradeguard.web.security import PREFIX, SessionDep, Viewer
from tradeguard.web.templating import page

router = APIRouter(include_in_schema=False)
Range = Literal["24h", "7d", "30d", "90d"]
RANGES: dict[str, tuple[timedelta, stats.Bucket]] = {
    "24h": (timedelta(hours=24), "hour"),
    "7d": (timedelta(days=7), "hour"),
    "30d": (timedelta(days=30), "day"),
    "90d": (timedelta(days=90), "day"),
}
DECISIONS = [d.value for d in Decision]


@router.get("/")
def root() -> Response:
    return RedirectResponse(f"{PREFIX}/", status_code=307)


def _labels(since: datetime, until: datetime, bucket: stats.Bucket) -> list[str]:
    step = timedelta(hours=1) if bucket == "hour" else timedelta(days=1)
    fmt = "%Y-%m-%d %H" if bucket == "hour" else "%Y-%m-%d"
    start = since.replace(minute=0, second=0, microsecond=0)
    if bucket == "day":
        start = start.replace(hour=0)
    labels, moment = [], start
    while moment < until:
        labels.append(moment.strftime(fmt))
        moment += step
    return labels


def volume_chart(rows: list[stats.VolumeRow], labels: list[str]) -> dict[str, Any]:
    """Chart.js data: one stacked series per decision, over every bucket (empty ones too).

    Series are a list, not a mapping, so the legend keeps the decisions' order of severity.
    """
    index = {label: i for i, label in enumerate(labels)}
    series: dict[str, list[int]] = {d: [0] * len(labels) for d in DECISIONS}
    for row in rows:
        if row.bucket in index:
            series[row.decision][index[row.bucket]] += row.count
    return {"labels": labels, "series": [{"decision": d, "data": series[d]} for d in DECISIONS]}


def kind_table(rows: list[stats.VolumeRow]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(DECISIONS, 0))
    for row in rows:
        table[row.kind][row.decision] += row.count
    return dict(sorted(table.items()))


@router.get(f"{PREFIX}/")
def overview(
    request: Request, session: SessionDep, current: Viewer, range: Range = "7d", kind: str = ""
) -> Response:
    span, bucket = RANGES[range]
    until = datetime.now(UTC) + timedelta(hours=1)
    since = until - span
    rows = stats.volumes(session, since=since, until=until, bucket=bucket)
    shown = [r for r in rows if not kind or r.kind == kind]
    totals = {d: sum(r.count for r in shown if r.decision == d) for d in DECISIONS}
    return page(
        request,
        "overview.html",
        current,
        title="Overview",
        range=range,
        ranges=list(RANGES),
        kind=kind,
        kinds=sorted({r.kind for r in rows}),
        chart=volume_chart(shown, _labels(since, until, bucket)),
        by_kind=kind_table(rows),
        totals=totals,
        total=sum(totals.values()),
        top_rules=stats.top_rules(session, since=since, until=until),
        queue=stats.queue(session, resolved_since=since),
        latest=stats.latest_event_time(session),
        flagged=history.search(session, decision=Decision.BLOCK, limit=8),
    )
