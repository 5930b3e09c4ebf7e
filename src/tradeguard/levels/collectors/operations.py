"""Evidence from the screening pipeline itself: coverage, the case queue, rules, lists, audit."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, func, or_, select, text
from sqlalchemy.orm import Session

from tradeguard.engine.tables import AuditEntry, CaseRecord, EventRecord, ListEntry, RulePackRecord
from tradeguard.levels.evidence import Context, KindName, Measurement, NoParams, collector
from tradeguard.levels.models import VolumeReport


class KindParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: KindName


class CaseParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kinds: list[str] = Field(default_factory=list)


class SlaParams(CaseParams):
    sla_hours: float = Field(gt=0, le=24 * 365)


class LabelledParams(CaseParams):
    min_age_hours: float = Field(default=48, ge=0, le=24 * 365)


class AgeParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_age_days: int = Field(default=365, ge=1, le=3660)


def full_days(ctx: Context, *, first: date | None = None) -> list[date]:
    """The whole UTC days of the window before ``ctx.now`` (today is not over yet)."""
    start = (ctx.since + timedelta(days=1)).date()
    if first is not None:
        start = max(start, first)
    today = ctx.now.astimezone(UTC).date()
    return [start + timedelta(days=n) for n in range((today - start).days)]


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


def _screened_on(session: Session, kind: str, day: date) -> int:
    start, end = _day_bounds(day)
    query = select(func.count()).where(
        EventRecord.kind == kind, EventRecord.occurred_at >= start, EventRecord.occurred_at < end
    )
    return int(session.scalar(query) or 0)


@collector("screening.coverage", unit="share", params=KindParams)
def screening_coverage(ctx: Context, params: KindParams) -> Measurement:
    """Events of a kind screened, out of what the store's own system reported, per whole day."""
    days = full_days(ctx)
    reported: dict[date, int] = {}
    rows = ctx.session.execute(
        select(VolumeReport.day, func.sum(VolumeReport.count))
        .where(VolumeReport.kind == params.kind, VolumeReport.day.in_(days))
        .group_by(VolumeReport.day)
    )
    for day, count in rows:
        reported[day] = int(count or 0)
    if not reported:
        return Measurement.none(
            "share",
            f"the store reported no daily {params.kind} volumes for these days "
            "(POST /v1/coverage or tradeguard coverage report), so coverage cannot be measured",
        )
    screened = sum(min(_screened_on(ctx.session, params.kind, d), n) for d, n in reported.items())
    whole = sum(reported.values())
    return Measurement.share(
        screened,
        whole,
        f"{params.kind} events the store reported on {len(reported)} days were screened",
        empty=f"the store reported zero {params.kind} events on {len(reported)} days",
    )


@collector("screening.continuity", unit="share", params=KindParams)
def screening_continuity(ctx: Context, params: KindParams) -> Measurement:
    """Days on which at least one event of the kind was screened, since screening began."""
    first = ctx.session.scalar(
        select(func.min(EventRecord.occurred_at)).where(
            EventRecord.kind == params.kind, EventRecord.occurred_at < ctx.now
        )
    )
    if first is None:
        return Measurement.none("share", f"no {params.kind} event has ever been screened")
    days = full_days(ctx, first=first.date())
    active = sum(1 for d in days if _any_on(ctx.session, params.kind, d))
    return Measurement.share(
        active,
        len(days),
        f"days had {params.kind} events screened",
        empty=f"{params.kind} screening began today: no whole day to measure yet",
    )


def _any_on(session: Session, kind: str, day: date) -> bool:
    start, end = _day_bounds(day)
    return (
        session.scalar(
            select(EventRecord.id)
            .where(
                EventRecord.kind == kind,
                EventRecord.occurred_at >= start,
                EventRecord.occurred_at < end,
            )
            .limit(1)
        )
        is not None
    )


def _of_kinds(kinds: list[str]) -> list[ColumnElement[bool]]:
    return [CaseRecord.kind.in_(kinds)] if kinds else []


def _kinds_words(kinds: list[str]) -> str:
    return f" ({', '.join(kinds)})" if kinds else ""


@collector("cases.over_sla", unit="count", params=SlaParams)
def cases_over_sla(ctx: Context, params: SlaParams) -> Measurement:
    """Cases still unresolved longer than their service-level time."""
    late = ctx.now - timedelta(hours=params.sla_hours)
    unresolved = or_(CaseRecord.resolved_at.is_(None), CaseRecord.resolved_at > ctx.now)
    base = select(func.count()).where(
        CaseRecord.opened_at <= ctx.now, unresolved, *_of_kinds(params.kinds)
    )
    waiting = int(ctx.session.scalar(base) or 0)
    over = int(ctx.session.scalar(base.where(CaseRecord.opened_at < late)) or 0)
    return Measurement(
        float(over),
        "count",
        f"{over:,} of {waiting:,} unresolved cases{_kinds_words(params.kinds)} "
        f"have waited over {params.sla_hours:g} h",
        waiting,
    )


@collector("cases.resolution_hours", unit="hours", params=CaseParams)
def cases_resolution_hours(ctx: Context, params: CaseParams) -> Measurement:
    """Median hours from a case opening to its resolution, for cases resolved in the window."""
    rows = ctx.session.execute(
        select(CaseRecord.opened_at, CaseRecord.resolved_at).where(
            CaseRecord.resolved_at >= ctx.since,
            CaseRecord.resolved_at <= ctx.now,
            *_of_kinds(params.kinds),
        )
    ).all()
    hours = [(resolved - opened).total_seconds() / 3600 for opened, resolved in rows if resolved]
    if not hours:
        return Measurement.none(
            "hours", f"no case{_kinds_words(params.kinds)} was resolved in the window"
        )
    median = statistics.median(hours)
    return Measurement(
        median,
        "hours",
        f"median {median:.1f} h over {len(hours):,} cases{_kinds_words(params.kinds)} resolved",
        len(hours),
    )


@collector("cases.labelled", unit="share", params=LabelledParams)
def cases_labelled(ctx: Context, params: LabelledParams) -> Measurement:
    """Cases opened in the window (and old enough) that a person resolved with a label."""
    old_enough = ctx.now - timedelta(hours=params.min_age_hours)
    rows = ctx.session.execute(
        select(CaseRecord.label, CaseRecord.resolved_at).where(
            CaseRecord.opened_at >= ctx.since,
            CaseRecord.opened_at <= old_enough,
            *_of_kinds(params.kinds),
        )
    ).all()
    done = sum(1 for label, at in rows if label is not None and at is not None and at <= ctx.now)
    return Measurement.share(
        done,
        len(rows),
        f"cases{_kinds_words(params.kinds)} older than {params.min_age_hours:g} h "
        "resolved with a label",
        empty=f"no case of the window is older than {params.min_age_hours:g} h yet",
    )


@collector("rules.reviewed", unit="share")
def rules_reviewed(ctx: Context, _: NoParams) -> Measurement:
    """Live rule packs uploaded, switched or back-tested by a person within the window."""
    live = sorted(
        set(
            ctx.session.scalars(
                select(RulePackRecord.pack_id).where(RulePackRecord.status == "live")
            )
        )
    )
    if not live:
        return Measurement.none("share", "no rule pack is live")
    touched = {
        str(target).split("@", 1)[0]
        for target in ctx.session.scalars(
            select(AuditEntry.target_id).where(
                AuditEntry.target_type == "rule_pack",
                AuditEntry.at >= ctx.since,
                AuditEntry.at <= ctx.now,
                AuditEntry.actor != "system",
            )
        )
    }
    reviewed = [p for p in live if p in touched]
    stale = [p for p in live if p not in touched]
    measurement = Measurement.share(
        len(reviewed), len(live), "live rule packs reviewed", empty="no rule pack is live"
    )
    return measurement.noting(f"not reviewed: {', '.join(stale)}") if stale else measurement


@collector("lists.entries_current", unit="share", params=AgeParams)
def list_entries_current(ctx: Context, params: AgeParams) -> Measurement:
    """Active allow/block entries that expire, or were added recently enough to trust."""
    recent = ctx.now - timedelta(days=params.max_age_days)
    active = ctx.session.execute(
        select(ListEntry.created_at, ListEntry.expires_at).where(
            ListEntry.created_at <= ctx.now,
            or_(ListEntry.removed_at.is_(None), ListEntry.removed_at > ctx.now),
            or_(ListEntry.expires_at.is_(None), ListEntry.expires_at > ctx.now),
        )
    ).all()
    if not active:
        return Measurement(1.0, "share", "no active allow/block entry, so none is stale", 0)
    current = sum(1 for created, expires in active if expires is not None or created >= recent)
    return Measurement.share(
        current,
        len(active),
        f"active allow/block entries expire or are under {params.max_age_days} days old",
        empty="",
    )


@collector("audit.append_only", unit="flag")
def audit_append_only(ctx: Context, _: NoParams) -> Measurement:
    """The audit log refuses UPDATE and DELETE in the database itself."""
    if ctx.session.get_bind().dialect.name == "sqlite":
        names = set(
            ctx.session.scalars(
                text(
                    "SELECT name FROM sqlite_master "
                    "WHERE type = 'trigger' AND tbl_name = 'audit_log'"
                )
            )
        )
        guarded = {"audit_log_no_update", "audit_log_no_delete"} <= names
    else:
        names = set(
            ctx.session.scalars(
                text(
                    "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE c.relname = 'audit_log' AND NOT t.tgisinternal AND t.tgenabled <> 'D'"
                )
            )
        )
        guarded = "audit_log_append_only" in names
    detail = (
        "database triggers refuse UPDATE and DELETE on the audit log"
        if guarded
        else "the audit log's append-only triggers are missing or disabled"
    )
    return Measurement(1.0 if guarded else 0.0, "flag", detail)
