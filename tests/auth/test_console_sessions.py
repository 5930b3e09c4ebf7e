"""Console sessions: tokens rotate at each stage, and idle or old sessions end."""

from __future__ import annotations

from tradeguard.auth import console_sessions, operators
from tradeguard.auth.console_sessions import ABSOLUTE_TIMEOUT, HALF_SIGNED_IN_TIMEOUT, IDLE_TIMEOUT
from tradeguard.db.base import utcnow
from tradeguard.db.session import unit_of_work
from tradeguard.runtime import Runtime


def start(runtime: Runtime, stage: str = "active") -> str:
    with unit_of_work(runtime.sessions) as session:
        operator, _ = operators.create(session, username="alice", role="viewer", actor="t")
        session.flush()
        return console_sessions.start(
            session, operator, stage=stage, ip="203.0.113.5", user_agent="x" * 1000
        )


def test_advancing_a_stage_retires_the_old_token(runtime: Runtime) -> None:
    token = start(runtime, "totp")
    with unit_of_work(runtime.sessions) as session:
        current = console_sessions.load(session, token)
        assert current is not None
        assert current.stage == "totp"
        old_csrf = current.session.csrf_token
        new_token = console_sessions.advance(session, current, stage="active")
        assert current.session.csrf_token != old_csrf
    with unit_of_work(runtime.sessions) as session:
        assert console_sessions.load(session, token) is None
        renewed = console_sessions.load(session, new_token)
        assert renewed is not None
        assert renewed.stage == "active"
        assert renewed.session.user_agent is not None
        assert len(renewed.session.user_agent) == 300


def test_idle_and_absolute_timeouts(runtime: Runtime) -> None:
    token = start(runtime)
    with unit_of_work(runtime.sessions) as session:
        now = utcnow()
        assert console_sessions.load(session, token, now=now + IDLE_TIMEOUT / 2) is not None
    with unit_of_work(runtime.sessions) as session:
        assert console_sessions.load(session, token, now=now + ABSOLUTE_TIMEOUT * 2) is None
    with unit_of_work(runtime.sessions) as session:  # ended for good, even back in time
        assert console_sessions.load(session, token, now=now) is None


def test_a_half_signed_in_session_expires_quickly(runtime: Runtime) -> None:
    token = start(runtime, "totp")
    with unit_of_work(runtime.sessions) as session:
        later = utcnow() + HALF_SIGNED_IN_TIMEOUT * 1.5
        assert console_sessions.load(session, token, now=later) is None


def test_garbage_tokens_find_nothing(runtime: Runtime) -> None:
    start(runtime)
    with unit_of_work(runtime.sessions) as session:
        for token in (None, "", "x" * 5000, "'; DROP TABLE operators; --"):
            assert console_sessions.load(session, token) is None
