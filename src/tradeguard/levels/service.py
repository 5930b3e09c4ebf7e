"""Use cases of the protection levels: assess now, record and read the trend, report volumes."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tradeguard.config import Settings
from tradeguard.db.base import utcnow
from tradeguard.engine import audit
from tradeguard.errors import Conflict, Invalid
from tradeguard.levels import attestations
from tradeguard.levels.assessment import assess as grade
from tradeguard.levels.catalog import MARKETS, Catalog, Market, cached_catalog
from tradeguard.levels.evidence import Context, Measurement, load_collectors, measure
from tradeguard.levels.models import AssessmentSnapshot, Attestation, VolumeReport
from tradeguard.levels.schemas import Assessment, SnapshotRead, VolumeItem

log = logging.getLogger("tradeguard.levels")


def catalog_for(settings: Settings) -> Catalog:
    """The catalog in force; re-read when the organisation's file changes on disk."""
    custom = settings.controls_file
    stamp = custom.stat().st_mtime_ns if custom is not None and custom.exists() else None
    return cached_catalog(custom, stamp)


def parse_markets(values: Sequence[str]) -> list[Market]:
    """``["EU", "us"]`` or ``["EU,US"]`` -> ``["EU", "US"]``; anything else is refused."""
    found: set[Market] = set()
    for value in values:
        for part in value.split(","):
            code = part.strip().upper()
            if not code:
                continue
            if code not in MARKETS:
                raise Invalid(f"unknown market {part.strip()!r}: choose from {', '.join(MARKETS)}")
            found.add(code)
    return sorted(found)


def assess(
    session: Session,
    *,
    settings: Settings,
    markets: Sequence[Market],
    now: datetime | None = None,
) -> Assessment:
    """Measure every control that applies to ``markets`` and grade them, as of ``now``."""
    now = now or utcnow()
    catalog = catalog_for(settings)
    load_collectors()
    measured: dict[str, Measurement] = {}
    cache: dict[tuple[str, str, int], Measurement] = {}
    for control in catalog.for_markets(markets):
        spec = control.evidence.measure
        if spec is None:
            continue
        key = (spec.collector, repr(sorted(spec.params.items())), spec.window_days)
        if key not in cache:
            ctx = Context(session, settings, now, timedelta(days=spec.window_days))
            cache[key] = _contained(spec.collector, spec.params, ctx)
        measured[control.id] = cache[key]
    return grade(
        catalog,
        markets=markets,
        as_of=now,
        measurements=measured,
        attestations=attestations.in_force(session, at=now),
    )


def _contained(collector: str, params: dict[str, Any], ctx: Context) -> Measurement:
    """One measurement in a savepoint: a collector that fails leaves its control without
    evidence (never met) and the rest of the assessment standing."""
    try:
        with ctx.session.begin_nested():
            return measure(collector, params, ctx)
    except Exception as exc:
        log.exception("collector %s failed", collector)
        return Measurement.none(
            "flag", f"the measurement failed ({type(exc).__name__}); the server log has why"
        )


# Measurements are 30- to 90-day aggregates, and a busy store's take a second or more: pages
# reuse one for this long. A new or revoked attestation or volume report changes the key, so
# a person's own action shows at once, on every worker.
CACHE_SECONDS = 120.0
_recent: dict[tuple[object, ...], tuple[float, Assessment]] = {}


def assess_cached(session: Session, *, settings: Settings, markets: Sequence[str]) -> Assessment:
    """``assess`` for pages and the API, from the markets as asked (``["eu,US"]``): reused
    while fresh and nothing it rests on changed."""
    chosen = parse_markets(markets)
    store = (settings.resolved_database_url, tuple(chosen), catalog_for(settings).sha256)
    key = store + _inputs_stamp(session)
    hit = _recent.get(key)
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    result = assess(session, settings=settings, markets=chosen)
    if len(_recent) > 64:
        _recent.clear()
    _recent[key] = (time.monotonic(), result)
    return result


def forget_cached() -> None:
    """Drop every reused assessment (tests that empty a database under the same URL)."""
    _recent.clear()


def _inputs_stamp(session: Session) -> tuple[object, ...]:
    """What people change by hand: attestations (made, revoked) and reported volumes."""
    row = session.execute(
        select(
            select(func.count(Attestation.id)).scalar_subquery(),
            select(func.max(Attestation.id)).scalar_subquery(),
            select(func.count(Attestation.revoked_at)).scalar_subquery(),
            select(func.max(VolumeReport.reported_at)).scalar_subquery(),
            select(func.count(VolumeReport.id)).scalar_subquery(),
        )
    ).one()
    return tuple(row)


def record(
    session: Session,
    *,
    settings: Settings,
    markets: Sequence[Market],
    actor: str,
    now: datetime | None = None,
) -> tuple[Assessment, AssessmentSnapshot]:
    """Assess and keep the result, so the trend shows it; audited like every stored change."""
    result = assess(session, settings=settings, markets=markets, now=now)
    snapshot = AssessmentSnapshot(
        as_of=result.as_of,
        markets=",".join(result.markets),
        catalog_sha256=result.catalog_sha256,
        overall_level=result.overall_level,
        layers={layer.id: layer.level for layer in result.layers},
        cells={f"{lay.id}:{c.level}": c.status for lay in result.layers for c in lay.cells},
        counts=dict(result.counts),
        recorded_by=actor,
    )
    audit.created(
        session,
        actor=actor,
        action="assessment.record",
        target_type="assessment",
        row=snapshot,
        schema=SnapshotRead,
    )
    return result, snapshot


def trend(session: Session, *, markets: Sequence[Market], limit: int = 90) -> list[SnapshotRead]:
    """The recorded assessments of this set of markets, oldest first (the newest ``limit``)."""
    rows = session.scalars(
        select(AssessmentSnapshot)
        .where(AssessmentSnapshot.markets == ",".join(sorted(markets)))
        .order_by(AssessmentSnapshot.as_of.desc(), AssessmentSnapshot.id.desc())
        .limit(limit)
    )
    return [SnapshotRead.model_validate(r) for r in reversed(list(rows))]


def report_volumes(session: Session, *, items: Sequence[VolumeItem], actor: str) -> int:
    """Store the store's daily counts; a repeated (kind, day, source) replaces the count."""
    changed = 0
    for item in items:
        row = session.scalars(
            select(VolumeReport).where(
                VolumeReport.kind == item.kind,
                VolumeReport.day == item.day,
                VolumeReport.source == item.source,
            )
        ).first()
        before: dict[str, Any] | None = None
        if row is None:
            row = VolumeReport(kind=item.kind, day=item.day, source=item.source, count=item.count)
            session.add(row)
        elif row.count == item.count:
            continue
        else:
            before = {"count": row.count}
            row.count = item.count
        row.reported_by, row.reported_at = actor, utcnow()
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(
                f"another report of {item.kind} on {item.day} from {item.source} arrived at the "
                "same moment; send the batch again"
            ) from None
        audit.record(
            session,
            actor=actor,
            action="coverage.report",
            target_type="volume_report",
            target_id=f"{item.kind}:{item.day.isoformat()}:{item.source}",
            before=before,
            after={"count": item.count},
        )
        changed += 1
    return changed
