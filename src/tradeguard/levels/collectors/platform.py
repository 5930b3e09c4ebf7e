"""Evidence from platform supervision: seller verification (KYB) and sanctions lists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

# The table itself, not the store's helpers: versions are read as of a moment, which the
# store's "current" helpers (newest now) cannot do.
from tradeguard.domains.merchants.sanctions.tables import SanctionListVersion
from tradeguard.engine.tables import AuditEntry, EventRecord
from tradeguard.levels.collectors.operations import AgeParams
from tradeguard.levels.evidence import Context, Measurement, NoParams, collector


class ListParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    list_key: str = Field(min_length=1, max_length=80)


def _applications(ctx: Context) -> Iterator[dict[str, Any]]:
    """The checks stored with each merchant application or update of the window."""
    for payload in ctx.session.scalars(
        select(EventRecord.payload).where(
            EventRecord.kind == "merchant",
            EventRecord.occurred_at >= ctx.since,
            EventRecord.occurred_at < ctx.now,
        )
    ):
        checks = payload.get("checks") if isinstance(payload, dict) else None
        yield checks if isinstance(checks, dict) else {}


@collector("merchants.sanctions_screened", unit="share")
def sanctions_screened(ctx: Context, _: NoParams) -> Measurement:
    """Merchant applications of the window screened against at least one sanctions list."""
    screened = total = 0
    for checks in _applications(ctx):
        total += 1
        screened += bool((checks.get("screening") or {}).get("lists"))
    return Measurement.share(
        screened,
        total,
        "merchant applications screened against a sanctions list",
        empty="no merchant application arrived in the window",
    )


def _identity_verified(checks: dict[str, Any]) -> bool:
    """A registration or tax number whose check digits or format a checker confirmed."""
    return any(
        isinstance(item, dict)
        and not str(item.get("field", "")).startswith("bank.")
        and item.get("checked", True)
        and item.get("valid")
        for item in checks.get("identifiers") or []
    )


@collector("merchants.identifiers_checked", unit="share")
def identifiers_checked(ctx: Context, _: NoParams) -> Measurement:
    """Merchant applications of the window with a registration or tax id verified valid."""
    verified = total = 0
    for checks in _applications(ctx):
        total += 1
        verified += _identity_verified(checks)
    return Measurement.share(
        verified,
        total,
        "merchant applications carry a registration or tax number that checks out",
        empty="no merchant application arrived in the window",
    )


def _newest_versions(ctx: Context) -> dict[str, Any]:
    """Each list's newest version loaded by ``ctx.now``: list key -> loaded_at."""
    rows = ctx.session.execute(
        select(SanctionListVersion.list_key, func.max(SanctionListVersion.loaded_at))
        .where(SanctionListVersion.loaded_at <= ctx.now)
        .group_by(SanctionListVersion.list_key)
    )
    return {row[0]: row[1] for row in rows}


@collector("sanctions.lists_fresh", unit="share", params=AgeParams)
def lists_fresh(ctx: Context, params: AgeParams) -> Measurement:
    """Loaded sanctions lists whose newest version is recent enough."""
    newest = _newest_versions(ctx)
    ages = {key: (ctx.now - at).total_seconds() / 86400 for key, at in newest.items()}
    stale = sorted(key for key, age in ages.items() if age > params.max_age_days)
    measured = Measurement.share(
        len(ages) - len(stale),
        len(ages),
        f"sanctions lists were refreshed within {params.max_age_days} days",
        empty="no sanctions list is loaded (tradeguard lists load-sanctions)",
    )
    if stale:
        return measured.noting("stale: " + ", ".join(f"{k} ({ages[k]:.0f} d)" for k in stale))
    return measured


@collector("sanctions.list_age_days", unit="days", params=ListParams)
def list_age_days(ctx: Context, params: ListParams) -> Measurement:
    """Days since one sanctions list's newest version was loaded."""
    loaded = _newest_versions(ctx).get(params.list_key)
    if loaded is None:
        return Measurement.none(
            "days",
            f"the {params.list_key} list has never been loaded (tradeguard lists load-sanctions)",
        )
    age = (ctx.now - loaded).total_seconds() / 86400
    return Measurement(age, "days", f"{params.list_key} was last loaded {age:.1f} days ago")


@collector("sanctions.rescreen_lag_hours", unit="hours")
def rescreen_lag_hours(ctx: Context, _: NoParams) -> Measurement:
    """Hours from the newest sanctions list version to the re-screen of every merchant."""
    newest = max(_newest_versions(ctx).values(), default=None)
    if newest is None:
        return Measurement.none("hours", "no sanctions list is loaded")
    rescreened = ctx.session.scalar(
        select(func.min(AuditEntry.at)).where(
            AuditEntry.action == "merchants.rescreen",
            AuditEntry.at >= newest,
            AuditEntry.at <= ctx.now,
        )
    )
    if rescreened is None:
        waited = (ctx.now - newest).total_seconds() / 3600
        return Measurement(
            waited,
            "hours",
            f"merchants have not been re-screened since the list loaded {waited:.1f} h ago",
        )
    lag = (rescreened - newest).total_seconds() / 3600
    return Measurement(lag, "hours", f"every merchant was re-screened {lag:.1f} h after the load")
