"""Reading filter forms: blank fields mean "any", dates are UTC, and bad values say so."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from tradeguard.errors import Invalid


def moment(value: str | None, *, end_of_day: bool = False, field: str = "date") -> datetime | None:
    """A date (2026-11-24) or date-time (2026-11-24T10:00) in UTC; blank is None."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            parsed = datetime.combine(day, time(), tzinfo=UTC)
            return parsed + timedelta(days=1) if end_of_day else parsed
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(
            f"{field}: {text!r} is not a date like 2026-11-24 or 2026-11-24T10:00"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def blank_none(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None
