"""An account's own login past, for the checks counters cannot answer.

Counters say *how many*; impossible travel needs *where and when* the account last logged in,
and an unusual hour needs *at which hours* it usually does. Both come from the account's
stored successful logins before the one being screened (one indexed query, newest first),
so a back-test on stored traffic sees exactly what serving saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from ipaddress import ip_address
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from tradeguard.domains.accounts.geo import country_distance_km, country_of, haversine_km
from tradeguard.domains.accounts.schemas import LoginPayload
from tradeguard.engine.events import Event
from tradeguard.engine.tables import EventEntity, EventRecord

LOOKBACK = timedelta(days=90)
MAX_LOGINS = 200  # the newest ones; enough for an hour-of-day habit, bounded per login
HOUR_BAND = 1  # "near" this hour: within one hour either side, on a 24-hour clock
# A trip shorter than this is never "impossible": it may be a border town, a VPN exit in
# the next country or a mobile network that routes through a neighbour.
MIN_TRIP_MINUTES = 1.0


@dataclass(frozen=True, slots=True)
class Place:
    """Where a login came from: a point when the store sent one, else only a country."""

    country: str | None
    latitude: float | None = None
    longitude: float | None = None

    @staticmethod
    def of(fields: dict[str, Any]) -> Place:
        try:
            where = country_of(fields.get("ip_country"), ip_address(str(fields.get("ip"))))
        except ValueError:  # a stored login always has an address; be safe all the same
            where = fields.get("ip_country")
        return Place(where, fields.get("latitude"), fields.get("longitude"))

    @property
    def point(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return self.latitude, self.longitude

    def km_to(self, other: Place) -> float | None:
        """The distance, or a lower bound on it when only countries are known."""
        if self.point and other.point:
            return haversine_km(*self.point, *other.point)
        if self.country is None or other.country is None:
            return None
        return country_distance_km(self.country, other.country)


def login_history(session: Session, event: Event) -> dict[str, Any]:
    """``event.history`` for a login: the previous success, the trip from it, hour habits.

    Only a successful login is looked up: travel and habits matter once someone is in, and
    the failures that make up most attack traffic then cost no extra query.
    """
    assert isinstance(event.payload, LoginPayload)
    history: dict[str, Any] = {
        "successes": 0,
        "near_hour": 0,
        "previous_country": None,
        "minutes_since_previous": -1.0,
        "travel_km": 0.0,
        "travel_kmh": 0.0,
    }
    if not event.payload.success:
        return history
    past = _previous_successes(session, event.payload.account_id, event.occurred_at)
    history["successes"] = len(past)
    history["near_hour"] = sum(1 for at, _ in past if _hour_gap(at, event.occurred_at) <= HOUR_BAND)
    if past:
        history.update(_trip(past[0], event))
    return history


MAX_ROWS = 2000  # the account's newest events of any kind scanned for those logins
# Built once, so the hot path only binds values (engine/writes.py does the same). The inner
# LIMIT makes the account's own entity rows the starting point on every planner: without
# statistics (a new SQLite file, a PostgreSQL table before autovacuum's first ANALYZE) both
# would otherwise walk every login in the window. ``kind || ''`` keeps SQLite off the
# (kind, occurred_at) index for the same reason. An account under a long attack may have
# more than MAX_ROWS newer failures; its history then looks empty, which only makes the
# travel and hour checks quieter.
_MINE = (
    select(EventEntity.event_pk)
    .where(EventEntity.entity_type == "account", EventEntity.entity_value == bindparam("account"))
    .order_by(EventEntity.event_pk.desc())
    .limit(MAX_ROWS)
    .subquery()
)
_PREVIOUS = (
    select(EventRecord.occurred_at, EventRecord.payload)
    .join(_MINE, _MINE.c.event_pk == EventRecord.id)
    .where(
        (EventRecord.kind + "") == "login",
        EventRecord.occurred_at < bindparam("before"),
        EventRecord.occurred_at >= bindparam("since"),
    )
    .order_by(EventRecord.occurred_at.desc())
    .limit(MAX_LOGINS)
)


def _previous_successes(
    session: Session, account_id: str, before: datetime
) -> list[tuple[datetime, dict[str, Any]]]:
    params = {"account": account_id, "before": before, "since": before - LOOKBACK}
    rows = session.execute(_PREVIOUS, params).all()
    return [(at, payload) for at, payload in rows if payload.get("success") is True]


def _trip(previous: tuple[datetime, dict[str, Any]], event: Event) -> dict[str, Any]:
    at, fields = previous
    here, there = Place.of(event.fields), Place.of(fields)
    minutes = (event.occurred_at - at).total_seconds() / 60
    km = here.km_to(there)
    trip: dict[str, Any] = {"previous_country": there.country, "minutes_since_previous": minutes}
    if km is not None:
        trip["travel_km"] = round(km, 1)
        trip["travel_kmh"] = round(km / (max(minutes, MIN_TRIP_MINUTES) / 60), 1)
    return trip


def _hour_gap(a: datetime, b: datetime) -> int:
    """Hours apart on a 24-hour clock: 23:00 and 01:00 are two hours apart, not 22."""
    gap = abs(a.hour - b.hour)
    return min(gap, 24 - gap)
