"""Account second factors: TOTP with replay protection, recovery codes, the attempt budget.

Every test runs on SQLite and on PostgreSQL (the ``runtime`` fixture), since the guarantees
rest on conditional UPDATEs whose behaviour under concurrency differs between the two.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import select, update

from tradeguard.auth import totp
from tradeguard.db.session import unit_of_work
from tradeguard.domains.accounts import mfa
from tradeguard.domains.accounts.mfa import Method, Verification
from tradeguard.domains.accounts.models import AccountRecoveryCode, MfaAccount
from tradeguard.engine import audit
from tradeguard.engine.tables import AuditEntry
from tradeguard.errors import Conflict, Invalid, Locked, NotFound, TooManyAttempts
from tradeguard.runtime import Runtime

KEY = "s" * 48
ACCOUNT = "buyer-42"
ACTOR = "key:abcd1234:shop backend"
T0 = datetime(2026, 3, 2, 9, 0, 15, tzinfo=UTC)
STEP = timedelta(seconds=totp.STEP_SECONDS)
_T = TypeVar("_T")


def code_at(secret: str, at: datetime) -> str:
    return totp.generator(secret).at(at)


def enrolled(runtime: Runtime, account_id: str = ACCOUNT) -> str:
    """An account with TOTP on, confirmed at T0; returns the secret."""
    with unit_of_work(runtime.sessions) as session:
        enrolment = mfa.begin_totp(
            session,
            account_id=account_id,
            account_name="alice@shop.example",
            issuer="Shop",
            secret_key=KEY,
            actor=ACTOR,
        )
    secret = enrolment.secret
    with unit_of_work(runtime.sessions) as session:
        mfa.confirm_totp(
            session,
            account_id=account_id,
            code=code_at(secret, T0),
            secret_key=KEY,
            actor=ACTOR,
            now=T0,
        )
    return secret


def verify(runtime: Runtime, code: str, at: datetime, account_id: str = ACCOUNT) -> Verification:
    with unit_of_work(runtime.sessions) as session:
        return mfa.verify_totp(
            session, account_id=account_id, code=code, secret_key=KEY, actor=ACTOR, now=at
        )


def use_recovery(runtime: Runtime, code: str, at: datetime = T0) -> Verification:
    with unit_of_work(runtime.sessions) as session:
        return mfa.verify_recovery_code(
            session, account_id=ACCOUNT, code=code, secret_key=KEY, actor=ACTOR, now=at
        )


def in_parallel(n: int, work: Callable[[], _T]) -> list[_T]:
    """Run ``work`` on ``n`` threads released together."""
    gate = threading.Barrier(n)

    def run() -> _T:
        gate.wait()
        return work()

    with ThreadPoolExecutor(n) as pool:
        return [f.result() for f in [pool.submit(run) for _ in range(n)]]


def audit_rows(runtime: Runtime, account_id: str = ACCOUNT) -> list[AuditEntry]:
    with unit_of_work(runtime.sessions) as session:
        rows = audit.search(session, target_type="account", target_id=account_id, limit=1000)
        return list(reversed(rows))


# --- TOTP -------------------------------------------------------------------------------


def test_enrolment_returns_the_secret_once_and_stores_it_sealed(runtime: Runtime) -> None:
    with unit_of_work(runtime.sessions) as session:
        enrolment = mfa.begin_totp(
            session,
            account_id=ACCOUNT,
            account_name="alice@shop.example",
            issuer="Shop",
            secret_key=KEY,
            actor=ACTOR,
        )
        assert enrolment.provisioning_uri.startswith("otpauth://totp/Shop:alice%40shop.example")
        assert f"secret={enrolment.secret}" in enrolment.provisioning_uri
        assert enrolment.qr_svg_data_uri.startswith("data:image/svg+xml")
        assert mfa.status(session, account_id=ACCOUNT).totp == "pending"
    with unit_of_work(runtime.sessions) as session:
        row = session.scalar(select(MfaAccount).where(MfaAccount.account_id == ACCOUNT))
        assert row is not None
        assert row.totp_sealed
        assert enrolment.secret not in row.totp_sealed
        assert row.totp_enabled_at is None


def test_confirmation_needs_a_right_code_and_turns_totp_on(runtime: Runtime) -> None:
    with unit_of_work(runtime.sessions) as session, pytest.raises(Conflict, match="first"):
        mfa.confirm_totp(session, account_id=ACCOUNT, code="123456", secret_key=KEY, actor=ACTOR)
    with unit_of_work(runtime.sessions) as session:
        secret = mfa.begin_totp(
            session, account_id=ACCOUNT, account_name="a", issuer="S", secret_key=KEY, actor=ACTOR
        ).secret
    wrong = f"{(int(code_at(secret, T0)) + 1) % 10**6:06d}"
    with unit_of_work(runtime.sessions) as session, pytest.raises(Invalid, match="does not match"):
        mfa.confirm_totp(
            session, account_id=ACCOUNT, code=wrong, secret_key=KEY, actor=ACTOR, now=T0
        )
    with unit_of_work(runtime.sessions) as session:
        mfa.confirm_totp(
            session,
            account_id=ACCOUNT,
            code=code_at(secret, T0),
            secret_key=KEY,
            actor=ACTOR,
            now=T0,
        )
        state = mfa.status(session, account_id=ACCOUNT)
        assert (state.totp, state.factors) == ("on", [Method.TOTP])
    with unit_of_work(runtime.sessions) as session, pytest.raises(Conflict, match="already on"):
        mfa.begin_totp(
            session, account_id=ACCOUNT, account_name="a", issuer="S", secret_key=KEY, actor=ACTOR
        )


def test_a_right_code_verifies_once_and_a_replay_is_refused(runtime: Runtime) -> None:
    secret = enrolled(runtime)
    later = T0 + 2 * STEP
    code = code_at(secret, later)
    assert verify(runtime, code, later) == Verification(verified=True, method=Method.TOTP)
    again = verify(runtime, code, later + timedelta(seconds=5))
    assert (again.verified, again.reason) == (False, "replayed")
    # The code confirmed at enrolment is spent too.
    assert verify(runtime, code_at(secret, T0), T0).reason == "replayed"


def test_an_older_step_is_refused_after_a_newer_one(runtime: Runtime) -> None:
    secret = enrolled(runtime)
    now = T0 + 10 * STEP
    assert verify(runtime, code_at(secret, now + STEP), now).verified  # phone a step ahead
    assert verify(runtime, code_at(secret, now), now).reason == "replayed"  # earlier step


def test_wrong_and_malformed_codes_are_answers_not_errors(runtime: Runtime) -> None:
    secret = enrolled(runtime)
    at = T0 + 5 * STEP
    wrong = f"{(int(code_at(secret, at)) + 1) % 10**6:06d}"
    for code in (wrong, "abcdef", "1234567", " "):
        answer = verify(runtime, code, at)
        assert (answer.verified, answer.reason) == (False, "wrong_code")
    assert verify(runtime, f" {code_at(secret, at)[:3]} {code_at(secret, at)[3:]} ", at).verified


def test_a_code_one_step_out_is_accepted_and_two_steps_out_is_not(runtime: Runtime) -> None:
    secret = enrolled(runtime)
    at = T0 + 20 * STEP
    assert verify(runtime, code_at(secret, at - 2 * STEP), at).reason == "wrong_code"
    assert verify(runtime, code_at(secret, at - STEP), at).verified


def test_concurrent_verifications_of_one_code_let_exactly_one_through(runtime: Runtime) -> None:
    secret = enrolled(runtime)
    at = T0 + 3 * STEP
    code = code_at(secret, at)
    answers = in_parallel(4, lambda: verify(runtime, code, at))
    assert sorted(a.verified for a in answers) == [False, False, False, True]
    assert {a.reason for a in answers if not a.verified} == {"replayed"}


def test_the_step_is_recorded_by_a_conditional_update(runtime: Runtime) -> None:
    """Two verifications that both read the step before either wrote it: one wins."""
    enrolled(runtime)
    step = int(T0.timestamp()) // totp.STEP_SECONDS + 100
    with unit_of_work(runtime.sessions) as session:
        assert mfa._accept_step(session, ACCOUNT, step)
        assert not mfa._accept_step(session, ACCOUNT, step)
        assert not mfa._accept_step(session, ACCOUNT, step - 1)
        assert mfa._accept_step(session, ACCOUNT, step + 1)


def test_unknown_or_unconfirmed_accounts_are_not_enrolled(runtime: Runtime) -> None:
    assert verify(runtime, "123456", T0, account_id="nobody").reason == "not_enrolled"
    with unit_of_work(runtime.sessions) as session:
        secret = mfa.begin_totp(
            session, account_id="half", account_name="h", issuer="S", secret_key=KEY, actor=ACTOR
        ).secret
    assert verify(runtime, code_at(secret, T0), T0, account_id="half").reason == "not_enrolled"


def test_disabling_totp_removes_the_secret(runtime: Runtime) -> None:
    secret = enrolled(runtime)
    with unit_of_work(runtime.sessions) as session:
        mfa.disable_totp(session, account_id=ACCOUNT, actor=ACTOR)
        assert mfa.status(session, account_id=ACCOUNT).totp == "off"
        row = session.scalar(select(MfaAccount).where(MfaAccount.account_id == ACCOUNT))
        assert row is not None
        assert (row.totp_sealed, row.totp_enabled_at, row.totp_last_step) == (None, None, None)
    at = T0 + 4 * STEP
    assert verify(runtime, code_at(secret, at), at).reason == "not_enrolled"
    with unit_of_work(runtime.sessions) as session, pytest.raises(NotFound):
        mfa.disable_totp(session, account_id=ACCOUNT, actor=ACTOR)


def test_a_secret_sealed_under_another_key_does_not_open(runtime: Runtime) -> None:
    secret = enrolled(runtime)
    with unit_of_work(runtime.sessions) as session, pytest.raises(Invalid, match="sealed"):
        mfa.verify_totp(
            session,
            account_id=ACCOUNT,
            code=code_at(secret, T0 + STEP),
            secret_key="x" * 48,
            actor=ACTOR,
            now=T0 + STEP,
        )


# --- the attempt budget -----------------------------------------------------------------


def test_five_failures_in_fifteen_minutes_lock_verification(runtime: Runtime) -> None:
    secret = enrolled(runtime)
    at = T0 + STEP
    for _ in range(mfa.MAX_FAILURES):
        assert not verify(runtime, "000000", at).verified
    right = code_at(secret, at)
    with pytest.raises(TooManyAttempts) as refused:
        verify(runtime, right, at)  # even the right code: the budget is spent
    assert refused.value.status == 429
    assert refused.value.extra["retry_after"] == 15 * 60
    with unit_of_work(runtime.sessions) as session:
        assert mfa.status(session, account_id=ACCOUNT, now=at).locked_until == at + (
            mfa.FAILURE_WINDOW
        )
    with pytest.raises(TooManyAttempts):
        use_recovery(runtime, "abcd-efgh-jkmn", at)  # one budget for every guessable factor
    after = at + mfa.FAILURE_WINDOW
    assert verify(runtime, code_at(secret, after), after).verified


def test_a_success_spends_nothing_but_does_not_forgive_failures(runtime: Runtime) -> None:
    secret = enrolled(runtime)
    for step in range(1, 11):
        at = T0 + step * STEP
        assert verify(runtime, code_at(secret, at), at).verified
    at = T0 + 11 * STEP
    for _ in range(mfa.MAX_FAILURES - 1):
        verify(runtime, "000000", at)
    assert verify(runtime, code_at(secret, at), at).verified
    assert verify(runtime, "000000", at).reason == "wrong_code"  # the fifth failure
    with pytest.raises(TooManyAttempts):
        verify(runtime, code_at(secret, at + STEP), at + STEP)


def test_parallel_guesses_cannot_outrun_the_budget(runtime: Runtime) -> None:
    enrolled(runtime)
    at = T0 + STEP

    def guess() -> str:
        try:
            return verify(runtime, "000000", at).reason or "verified"
        except TooManyAttempts:
            return "locked"

    outcomes = in_parallel(12, guess)
    assert outcomes.count("wrong_code") == mfa.MAX_FAILURES
    assert outcomes.count("locked") == 12 - mfa.MAX_FAILURES


def test_failures_and_the_lock_are_audited_without_the_code(runtime: Runtime) -> None:
    secret = enrolled(runtime)
    at = T0 + STEP
    for _ in range(mfa.MAX_FAILURES):
        verify(runtime, "000000", at)
    failures = [r for r in audit_rows(runtime) if r.action == "mfa.verify_failed"]
    assert len(failures) == mfa.MAX_FAILURES
    assert failures[0].actor == ACTOR
    assert failures[0].after == {"method": "totp", "reason": "wrong_code"}
    assert failures[-1].after is not None
    assert failures[-1].after["locked_until"] == (at + mfa.FAILURE_WINDOW).isoformat()
    everything = json.dumps([[r.before, r.after] for r in audit_rows(runtime)])
    assert "000000" not in everything
    assert secret not in everything


# --- consecutive failures and the hard lock ----------------------------------------------


def set_consecutive(runtime: Runtime, count: int, account_id: str = ACCOUNT) -> None:
    """Skip ahead: the account as if ``count`` failures in a row had happened long ago."""
    with unit_of_work(runtime.sessions) as session:
        session.execute(
            update(MfaAccount)
            .where(MfaAccount.account_id == account_id)
            .values(consecutive_failures=count)
        )


def state(runtime: Runtime, at: datetime = T0) -> mfa.MfaStatus:
    with unit_of_work(runtime.sessions) as session:
        return mfa.status(session, account_id=ACCOUNT, now=at)


def test_a_hundred_failures_in_a_row_lock_codes_whatever_the_pace(runtime: Runtime) -> None:
    """Every guess a real verification, five per window: the window alone never stops them."""
    secret = enrolled(runtime)
    windows = mfa.MAX_CONSECUTIVE_FAILURES // mfa.MAX_FAILURES
    for window in range(windows):
        at = T0 + STEP + window * mfa.FAILURE_WINDOW
        for _ in range(mfa.MAX_FAILURES):
            assert verify(runtime, "000000", at).reason == "wrong_code"
    assert state(runtime).consecutive_failures == mfa.MAX_CONSECUTIVE_FAILURES
    later = T0 + STEP + windows * mfa.FAILURE_WINDOW + timedelta(days=30)
    with pytest.raises(Locked) as refused:
        verify(runtime, code_at(secret, later), later)  # a month on, the right code
    assert refused.value.status == 423
    assert refused.value.extra == {"consecutive_failures": mfa.MAX_CONSECUTIVE_FAILURES}
    assert state(runtime, later).hard_locked
    locks = [r for r in audit_rows(runtime) if r.action == "mfa.hard_lock"]
    assert [(r.actor, r.after) for r in locks] == [
        (ACTOR, {"method": "totp", "consecutive_failures": mfa.MAX_CONSECUTIVE_FAILURES})
    ]


def test_the_hundredth_failure_locks_and_is_audited_once(runtime: Runtime) -> None:
    secret = enrolled(runtime)
    with unit_of_work(runtime.sessions) as session:
        codes = mfa.regenerate_recovery_codes(
            session, account_id=ACCOUNT, secret_key=KEY, actor=ACTOR
        )
    set_consecutive(runtime, mfa.MAX_CONSECUTIVE_FAILURES - 2)
    at = T0 + STEP
    assert verify(runtime, "000000", at).reason == "wrong_code"
    assert not state(runtime, at).hard_locked
    assert use_recovery(runtime, "zzzz-zzzz-zzzz", at).reason == "wrong_code"  # the 100th
    after = state(runtime, at)
    assert (after.consecutive_failures, after.hard_locked) == (100, True)
    assert after.locked_until is None  # not the window: 2 failures in it
    attempts: list[Callable[[], Verification]] = [
        lambda: verify(runtime, code_at(secret, at), at),
        lambda: use_recovery(runtime, codes[0], at),
        lambda: verify(runtime, "000000", at + timedelta(days=1)),
    ]
    for attempt in attempts:
        with pytest.raises(Locked):
            attempt()
    assert state(runtime, at).consecutive_failures == 100  # refusals spend nothing
    locks = [r for r in audit_rows(runtime) if r.action == "mfa.hard_lock"]
    assert [r.after for r in locks] == [{"method": "recovery_code", "consecutive_failures": 100}]


def test_a_success_before_the_cap_starts_the_count_again(runtime: Runtime) -> None:
    secret = enrolled(runtime)
    set_consecutive(runtime, mfa.MAX_CONSECUTIVE_FAILURES - 3)
    at = T0 + STEP
    verify(runtime, "000000", at)
    verify(runtime, "000000", at)
    assert state(runtime, at).consecutive_failures == mfa.MAX_CONSECUTIVE_FAILURES - 1
    assert verify(runtime, code_at(secret, at), at).verified
    assert state(runtime, at).consecutive_failures == 0
    assert verify(runtime, "000000", at).reason == "wrong_code"
    after = state(runtime, at)
    assert (after.consecutive_failures, after.hard_locked) == (1, False)
    with unit_of_work(runtime.sessions) as session:
        row = session.scalar(select(MfaAccount).where(MfaAccount.account_id == ACCOUNT))
        assert row is not None
        assert row.failed_attempts == 3  # the window still counts the failures before it


def test_parallel_guesses_cannot_outrun_the_cap(runtime: Runtime) -> None:
    enrolled(runtime)
    set_consecutive(runtime, mfa.MAX_CONSECUTIVE_FAILURES - 3)
    at = T0 + STEP

    def guess() -> str:
        try:
            return verify(runtime, "000000", at).reason or "verified"
        except Locked:
            return "hard_locked"
        except TooManyAttempts:
            return "window"

    outcomes = in_parallel(10, guess)
    assert sorted(outcomes) == ["hard_locked"] * 7 + ["wrong_code"] * 3
    assert len([r for r in audit_rows(runtime) if r.action == "mfa.hard_lock"]) == 1


def test_unlock_clears_both_limits_and_is_audited(runtime: Runtime) -> None:
    secret = enrolled(runtime)
    at = T0 + STEP
    for _ in range(mfa.MAX_FAILURES):
        verify(runtime, "000000", at)
    set_consecutive(runtime, mfa.MAX_CONSECUTIVE_FAILURES)
    with pytest.raises(Locked):  # the hard lock answers before the window's limit
        verify(runtime, code_at(secret, at), at)
    with unit_of_work(runtime.sessions) as session:
        mfa.unlock(session, account_id=ACCOUNT, actor="key:ffff0000:support")
    after = state(runtime, at)
    assert (after.consecutive_failures, after.hard_locked, after.locked_until) == (0, False, None)
    assert verify(runtime, code_at(secret, at), at).verified
    unlocked = [r for r in audit_rows(runtime) if r.action == "mfa.unlock"]
    assert [(r.actor, r.before, r.after) for r in unlocked] == [
        (
            "key:ffff0000:support",
            {"consecutive_failures": 100, "failed_attempts": 5, "hard_locked": True},
            {"consecutive_failures": 0, "failed_attempts": 0, "hard_locked": False},
        )
    ]
    with unit_of_work(runtime.sessions) as session, pytest.raises(NotFound):
        mfa.unlock(session, account_id="nobody", actor=ACTOR)


# --- recovery codes ---------------------------------------------------------------------


def test_recovery_codes_are_single_use_and_stored_as_digests(runtime: Runtime) -> None:
    with unit_of_work(runtime.sessions) as session:
        codes = mfa.regenerate_recovery_codes(
            session, account_id=ACCOUNT, secret_key=KEY, actor=ACTOR
        )
    assert len(codes) == len(set(codes)) == totp.RECOVERY_CODES
    with unit_of_work(runtime.sessions) as session:
        stored = list(session.scalars(select(AccountRecoveryCode.code_digest)))
        assert not {c.replace("-", "") for c in codes} & set(stored)
        assert all(len(d) == 64 for d in stored)
    assert use_recovery(runtime, codes[0].upper().replace("-", " ")).verified
    assert use_recovery(runtime, codes[0]).reason == "already_used"
    assert use_recovery(runtime, "zzzz-zzzz-zzzz").reason == "wrong_code"
    with unit_of_work(runtime.sessions) as session:
        state = mfa.status(session, account_id=ACCOUNT)
        assert state.recovery_codes_left == totp.RECOVERY_CODES - 1
        assert state.factors == [Method.RECOVERY_CODE]
    used = [r for r in audit_rows(runtime) if r.action == "mfa.recovery_code_used"]
    assert used[0].after == {"method": "recovery_code", "codes_left": 9}


def test_regenerating_replaces_every_code(runtime: Runtime) -> None:
    with unit_of_work(runtime.sessions) as session:
        old = mfa.regenerate_recovery_codes(
            session, account_id=ACCOUNT, secret_key=KEY, actor=ACTOR
        )
    assert use_recovery(runtime, old[0]).verified
    with unit_of_work(runtime.sessions) as session:
        new = mfa.regenerate_recovery_codes(
            session, account_id=ACCOUNT, secret_key=KEY, actor=ACTOR
        )
        assert mfa.recovery_codes_left(session, account_id=ACCOUNT) == totp.RECOVERY_CODES
    assert use_recovery(runtime, old[1]).reason == "wrong_code"
    assert use_recovery(runtime, new[1]).verified
    regenerated = [r for r in audit_rows(runtime) if r.action == "mfa.recovery_codes_regenerate"]
    assert [r.after for r in regenerated] == [
        {"method": "recovery_code", "codes": 10, "replaced_unused": 0},
        {"method": "recovery_code", "codes": 10, "replaced_unused": 9},
    ]


def test_one_recovery_code_used_twice_at_once_passes_once(runtime: Runtime) -> None:
    with unit_of_work(runtime.sessions) as session:
        codes = mfa.regenerate_recovery_codes(
            session, account_id=ACCOUNT, secret_key=KEY, actor=ACTOR
        )
    answers = in_parallel(3, lambda: use_recovery(runtime, codes[0]))
    assert sorted(a.verified for a in answers) == [False, False, True]


def test_recovery_codes_of_one_account_do_not_open_another(runtime: Runtime) -> None:
    with unit_of_work(runtime.sessions) as session:
        codes = mfa.regenerate_recovery_codes(
            session, account_id="someone-else", secret_key=KEY, actor=ACTOR
        )
        mfa.regenerate_recovery_codes(session, account_id=ACCOUNT, secret_key=KEY, actor=ACTOR)
    assert use_recovery(runtime, codes[0]).reason == "wrong_code"


# --- status -----------------------------------------------------------------------------


def test_status_of_an_account_never_seen_is_empty(runtime: Runtime) -> None:
    with unit_of_work(runtime.sessions) as session:
        state = mfa.status(session, account_id="never-seen")
    assert state.model_dump() == {
        "account_id": "never-seen",
        "factors": [],
        "totp": "off",
        "totp_enabled_at": None,
        "recovery_codes_left": 0,
        "webauthn_credentials": 0,
        "locked_until": None,
        "consecutive_failures": 0,
        "hard_locked": False,
    }


def test_every_change_is_audited_with_the_actor(runtime: Runtime) -> None:
    enrolled(runtime)
    with unit_of_work(runtime.sessions) as session:
        mfa.regenerate_recovery_codes(session, account_id=ACCOUNT, secret_key=KEY, actor=ACTOR)
        mfa.disable_totp(session, account_id=ACCOUNT, actor="key:ffff0000:support")
    rows = audit_rows(runtime)
    assert [r.action for r in rows] == [
        "mfa.totp_enrol",
        "mfa.totp_confirm",
        "mfa.recovery_codes_regenerate",
        "mfa.totp_disable",
    ]
    assert rows[-1].actor == "key:ffff0000:support"
    assert rows[-1].after == {"method": "totp", "was": "on"}
