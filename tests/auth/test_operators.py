"""Operators: passwords, lock-out with back-off, TOTP, recovery codes, and what the audit keeps."""

from __future__ import annotations

import json
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from tradeguard.auth import console_sessions, operators
from tradeguard.auth.models import Operator
from tradeguard.auth.operators import SignInFailure
from tradeguard.auth.sealing import Sealer
from tradeguard.db.base import utcnow
from tradeguard.db.session import unit_of_work
from tradeguard.engine import audit
from tradeguard.errors import Conflict, Invalid, Unauthorized
from tradeguard.runtime import Runtime

KEY = "k" * 48
GOOD = "violet staple orbit canyon"


def make(runtime: Runtime, username: str = "alice", role: str = "analyst") -> int:
    with unit_of_work(runtime.sessions) as session:
        operator, _ = operators.create(
            session, username=username, role=role, password=GOOD, actor="test"
        )
        return operator.id


def enrol(runtime: Runtime, operator_id: int) -> tuple[str, list[str]]:
    with unit_of_work(runtime.sessions) as session:
        operator = operators.get(session, operator_id)
        secret = operators.begin_enrolment(operator, secret_key=KEY)
        codes = operators.confirm_enrolment(
            session, operator, code=pyotp.TOTP(secret).now(), secret_key=KEY
        )
    return secret, codes


def test_a_new_operator_gets_a_one_time_password_to_replace(runtime: Runtime) -> None:
    with unit_of_work(runtime.sessions) as session:
        operator, one_time = operators.create(
            session, username="  Bob.Smith ", role="viewer", actor="cli"
        )
        assert operator.username == "bob.smith"
        assert operator.must_change_password
        assert one_time
        assert len(one_time) >= 20
        assert not operator.password_hash.startswith(one_time)
        assert operator.password_hash.startswith("$argon2id$")
    with unit_of_work(runtime.sessions) as session:
        signed = operators.check_password(session, username="BOB.SMITH", password=one_time)
        assert isinstance(signed, Operator)


@pytest.mark.parametrize(
    ("username", "password", "problem"),
    [
        ("a", GOOD, "username"),
        ("alice smith", GOOD, "username"),
        ("alice", "short", "12 characters"),
        ("alice", "alicealice2026", "too easy to guess"),
        ("alice", "qwertyuiop123", "too easy to guess"),
        ("alice", "password12345678", "too easy to guess"),
    ],
)
def test_bad_usernames_and_weak_passwords_are_refused(
    runtime: Runtime, username: str, password: str, problem: str
) -> None:
    with unit_of_work(runtime.sessions) as session, pytest.raises(Invalid, match=problem):
        operators.create(session, username=username, role="admin", password=password, actor="t")


def test_usernames_are_unique_and_roles_known(runtime: Runtime) -> None:
    make(runtime)
    with unit_of_work(runtime.sessions) as session, pytest.raises(Conflict):
        operators.create(session, username="ALICE", role="admin", actor="t")
    with unit_of_work(runtime.sessions) as session, pytest.raises(Invalid, match="role"):
        operators.create(session, username="carol", role="root", actor="t")


def fail(runtime: Runtime, times: int, *, now_offset: timedelta = timedelta()) -> str:
    message = ""
    for _ in range(times):
        with unit_of_work(runtime.sessions) as session:
            result = operators.check_password(
                session, username="alice", password="wrong guess", now=utcnow() + now_offset
            )
            assert isinstance(result, SignInFailure)
            message = result.message
    return message


def test_five_failures_lock_the_account_even_against_the_right_password(
    runtime: Runtime,
) -> None:
    make(runtime)
    assert fail(runtime, 4) == "Wrong username or password."
    assert "locked for 5 more minute(s)" in fail(runtime, 1)
    with unit_of_work(runtime.sessions) as session:
        result = operators.check_password(session, username="alice", password=GOOD)
        assert isinstance(result, SignInFailure)
        assert "locked" in result.message
    # After the lock ends, one more failure locks for twice as long.
    message = fail(runtime, 1, now_offset=timedelta(minutes=6))
    assert "locked for" in message
    with unit_of_work(runtime.sessions) as session:
        operator = operators.by_username(session, "alice")
        assert operator is not None
        assert operator.failed_logins == 6
        assert operator.locked_until is not None
        left = operator.locked_until - (utcnow() + timedelta(minutes=6))
        assert timedelta(minutes=9) < left <= timedelta(minutes=10)
        operators.unlock(session, operator_id=operator.id, actor="operator:root")
    with unit_of_work(runtime.sessions) as session:
        assert isinstance(
            operators.check_password(session, username="alice", password=GOOD), Operator
        )


def test_the_lock_never_grows_past_an_hour(runtime: Runtime) -> None:
    assert operators._lock_for(5) == timedelta(minutes=5)
    assert operators._lock_for(6) == timedelta(minutes=10)
    assert operators._lock_for(50) == timedelta(hours=1)


def test_unknown_and_disabled_users_get_the_generic_answer(runtime: Runtime) -> None:
    operator_id = make(runtime)
    with unit_of_work(runtime.sessions) as session:
        operators.disable(session, operator_id=operator_id, actor="operator:root")
    with unit_of_work(runtime.sessions) as session:
        for name in ("alice", "nobody"):
            result = operators.check_password(session, username=name, password=GOOD)
            assert result == SignInFailure("Wrong username or password.")
        entries = audit.search(session, action="operator.sign_in_failed.unknown")
        assert len(entries) == 2
        assert "nobody" not in json.dumps([e.after for e in entries])


def test_totp_codes_work_once_and_recovery_codes_once_each(runtime: Runtime) -> None:
    operator_id = make(runtime)
    secret, codes = enrol(runtime, operator_id)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    with unit_of_work(runtime.sessions) as session:
        operator = operators.get(session, operator_id)
        assert operator.totp_sealed
        assert secret not in operator.totp_sealed
        # The code used to confirm enrolment cannot be replayed to sign in.
        now_code = pyotp.TOTP(secret).now()
        assert not operators.check_second_factor(session, operator, code=now_code, secret_key=KEY)
        next_code = pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30))
        assert operators.check_second_factor(session, operator, code=next_code, secret_key=KEY)
        assert not operators.check_second_factor(session, operator, code=next_code, secret_key=KEY)
        assert operators.check_second_factor(
            session, operator, code=codes[0].upper().replace("-", " "), secret_key=KEY
        )
        assert not operators.check_second_factor(session, operator, code=codes[0], secret_key=KEY)
        assert operators.recovery_codes_left(session, operator) == 9


def test_a_different_installation_key_cannot_open_the_totp_secret(runtime: Runtime) -> None:
    operator_id = make(runtime)
    enrol(runtime, operator_id)
    with unit_of_work(runtime.sessions) as session:
        operator = operators.get(session, operator_id)
        assert operator.totp_sealed is not None
        with pytest.raises(Invalid, match="does not open"):
            Sealer("x" * 48, operators.TOTP_PURPOSE).open(operator.totp_sealed)


def test_the_audit_log_never_holds_a_secret(runtime: Runtime) -> None:
    operator_id = make(runtime)
    secret, codes = enrol(runtime, operator_id)
    with unit_of_work(runtime.sessions) as session:
        operator = operators.get(session, operator_id)
        operators.change_password(session, operator, current=GOOD, new=GOOD + " tundra")
        _, one_time = operators.reset_password(
            session, operator_id=operator_id, actor="operator:root"
        )
        stored = json.dumps(
            [[e.before, e.after] for e in audit.search(session, target_type="operator")]
        )
        assert session.scalar(select(Operator.password_hash)) is not None
    for secret_value in (secret, *codes, GOOD, one_time, "$argon2"):
        assert secret_value not in stored


def test_changing_a_password_needs_the_current_one(runtime: Runtime) -> None:
    operator_id = make(runtime)
    with unit_of_work(runtime.sessions) as session:
        operator = operators.get(session, operator_id)
        with pytest.raises(Unauthorized):
            operators.change_password(session, operator, current="nope", new=GOOD + " x")
        with pytest.raises(Invalid, match="differ"):
            operators.change_password(session, operator, current=GOOD, new=GOOD)


def test_admins_cannot_lock_themselves_out(runtime: Runtime) -> None:
    operator_id = make(runtime, role="admin")
    with unit_of_work(runtime.sessions) as session:
        for action in (operators.disable,):
            with pytest.raises(Conflict, match="own account"):
                action(session, operator_id=operator_id, actor="operator:alice")
        with pytest.raises(Conflict, match="own account"):
            operators.set_role(
                session, operator_id=operator_id, role="viewer", actor="operator:alice"
            )


def test_disabling_ends_sessions_and_stages_follow_the_account(runtime: Runtime) -> None:
    operator_id = make(runtime)
    with unit_of_work(runtime.sessions) as session:
        operator = operators.get(session, operator_id)
        operator.must_change_password = True
        assert console_sessions.next_stage(operator, second_factor_done=False) == "change_password"
        operator.must_change_password = False
        assert console_sessions.next_stage(operator, second_factor_done=False) == "enrol"
        token = console_sessions.start(session, operator, stage="active", ip=None, user_agent=None)
    enrol(runtime, operator_id)
    with unit_of_work(runtime.sessions) as session:
        operator = operators.get(session, operator_id)
        assert console_sessions.next_stage(operator, second_factor_done=False) == "totp"
        assert console_sessions.next_stage(operator, second_factor_done=True) == "active"
        assert console_sessions.load(session, token) is not None
        operators.disable(session, operator_id=operator_id, actor="operator:root")
    with unit_of_work(runtime.sessions) as session:
        assert console_sessions.load(session, token) is None
