"""Console sign-in sessions: a random token in the cookie, its digest in the database.

A session moves through stages (password checked -> second factor -> forced password change
-> TOTP enrolment -> active). Each move issues a new token, so a token seen before sign-in
finished (session fixation) is worthless afterwards.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tradeguard.auth.models import ConsoleSession, Operator
from tradeguard.db.base import rows_changed, utcnow

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
HALF_SIGNED_IN_TIMEOUT = timedelta(minutes=10)  # time allowed to finish the second step
TOUCH_EVERY = timedelta(minutes=1)  # how stale last_seen_at may get before it is written


@dataclass(frozen=True, slots=True)
class Current:
    """The signed-in (or half signed-in) browser behind a request."""

    session: ConsoleSession
    operator: Operator

    @property
    def stage(self) -> str:
        return self.session.stage


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def next_stage(operator: Operator, *, second_factor_done: bool) -> str:
    if operator.totp_enabled_at is not None and not second_factor_done:
        return "totp"
    if operator.must_change_password:
        return "change_password"
    if operator.totp_enabled_at is None:
        return "enrol"
    return "active"


def start(
    session: Session, operator: Operator, *, stage: str, ip: str | None, user_agent: str | None
) -> str:
    """Open a session and return its token (the cookie value), which is stored only hashed."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        ConsoleSession(
            token_digest=_digest(token),
            operator_id=operator.id,
            stage=stage,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            ip=ip[:64] if ip else None,
            user_agent=user_agent[:300] if user_agent else None,
        )
    )
    return token


def advance(session: Session, current: Current, *, stage: str) -> str:
    """Move to ``stage`` under a new token and a new CSRF token; the old token stops working."""
    token = secrets.token_urlsafe(32)
    current.session.token_digest = _digest(token)
    current.session.csrf_token = secrets.token_urlsafe(32)
    current.session.stage = stage
    current.session.last_seen_at = utcnow()
    return token


def load(session: Session, token: str | None, *, now: datetime | None = None) -> Current | None:
    """The live session behind a cookie, or None if it is unknown, ended or timed out."""
    if not token or len(token) > 100:
        return None
    now = now or utcnow()
    row = session.execute(
        select(ConsoleSession, Operator)
        .join(Operator, Operator.id == ConsoleSession.operator_id)
        .where(ConsoleSession.token_digest == _digest(token), ConsoleSession.ended_at.is_(None))
    ).first()
    if row is None:
        return None
    console, operator = row
    idle = IDLE_TIMEOUT if console.stage == "active" else HALF_SIGNED_IN_TIMEOUT
    expired = (
        now - console.last_seen_at > idle
        or now - console.created_at > ABSOLUTE_TIMEOUT
        or operator.disabled_at is not None
    )
    if expired:
        console.ended_at = now
        return None
    if now - console.last_seen_at > TOUCH_EVERY:
        console.last_seen_at = now
    return Current(session=console, operator=operator)


def end(session: Session, current: Current) -> None:
    current.session.ended_at = utcnow()


def active_for(session: Session, operator: Operator) -> list[ConsoleSession]:
    return list(
        session.scalars(
            select(ConsoleSession)
            .where(
                ConsoleSession.operator_id == operator.id,
                ConsoleSession.ended_at.is_(None),
                ConsoleSession.stage == "active",
            )
            .order_by(ConsoleSession.last_seen_at.desc())
        )
    )


def end_others(session: Session, current: Current) -> int:
    result = session.execute(
        update(ConsoleSession)
        .where(
            ConsoleSession.operator_id == current.operator.id,
            ConsoleSession.id != current.session.id,
            ConsoleSession.ended_at.is_(None),
        )
        .values(ended_at=utcnow())
    )
    return rows_changed(result)
