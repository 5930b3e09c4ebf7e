"""Second factors for the store's accounts: TOTP, recovery codes, and the attempt budget.

The store delegates its users' second factors to TradeGuard. A guessable factor (a 6-digit
code, a recovery code) spends from one budget per account before it is checked, so parallel
guesses cannot outrun the limit; a success gives back only the attempt it spent. Besides the
windowed budget, consecutive failures are counted across windows, and at
``MAX_CONSECUTIVE_FAILURES`` codes are refused until support unlocks the account. WebAuthn
lives in ``webauthn_flow``. The caller owns the transaction; every change and every failure
is audited in it, and no code or secret ever reaches the audit log.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import Update, case, delete, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tradeguard.auth import totp
from tradeguard.auth.sealing import Sealer
from tradeguard.db.base import UTCDateTime, rows_changed, utcnow
from tradeguard.domains.accounts.models import AccountRecoveryCode, MfaAccount, WebAuthnCredential
from tradeguard.engine import audit
from tradeguard.errors import Conflict, Invalid, Locked, NotFound, TooManyAttempts

# Five wrong guesses per 15 minutes: each guess covers 3 of 10^6 codes (one step either side),
# so a patient attacker's odds stay near 0.14 % a day, and every miss is in the audit log.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
# NIST SP 800-63B rev. 4, section 3.2.2: no more than 100 consecutive failed attempts on one
# account. The window alone would still allow 480 guesses a day (about 4 % a month against a
# 6-digit code); this cap holds at any pace: the 100th failure in a row with no success in
# between hard-locks codes (TOTP and recovery codes, not WebAuthn) until ``unlock``. Only a
# successful code verification or an unlock resets the count.
MAX_CONSECUTIVE_FAILURES = 100
TOTP_PURPOSE = "tradeguard/account-totp/v1"
RECOVERY_PURPOSE = "tradeguard/account-recovery/v1"
TARGET = "account"


class Method(StrEnum):
    TOTP = "totp"
    RECOVERY_CODE = "recovery_code"
    WEBAUTHN = "webauthn"


class Verification(BaseModel):
    """An answer, not an error: a wrong code is ``verified: false`` with a reason."""

    verified: bool
    method: Method
    reason: str | None = None


class TotpEnrolment(BaseModel):
    """Shown once, at enrolment; the secret is stored sealed and never returned again."""

    secret: str
    provisioning_uri: str
    qr_svg_data_uri: str


class MfaStatus(BaseModel):
    account_id: str
    factors: list[Method]
    totp: Literal["off", "pending", "on"]
    totp_enabled_at: datetime | None
    recovery_codes_left: int
    webauthn_credentials: int
    locked_until: datetime | None
    consecutive_failures: int
    hard_locked: bool


def _quiet(statement: Update) -> Update:
    """Conditional UPDATEs decide in the database; the loaded rows are re-read when needed."""
    return statement.execution_options(synchronize_session=False)


def record(
    session: Session,
    *,
    action: str,
    account_id: str,
    method: Method,
    actor: str,
    **after: Any,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"mfa.{action}",
        target_type=TARGET,
        target_id=account_id,
        after={"method": method.value, **after},
    )


def find_account(session: Session, account_id: str) -> MfaAccount | None:
    query = select(MfaAccount).where(MfaAccount.account_id == account_id)
    return session.scalar(query.execution_options(populate_existing=True))


def ensure_account(session: Session, account_id: str) -> MfaAccount:
    """The account's row, made on first use; ON CONFLICT so two first enrolments cannot clash."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    row = {
        "account_id": account_id,
        "user_handle": secrets.token_urlsafe(32),
        "failed_attempts": 0,
        "consecutive_failures": 0,
        "created_at": utcnow(),
    }
    session.execute(insert(MfaAccount).values(row).on_conflict_do_nothing())
    account = find_account(session, account_id)
    assert account is not None
    return account


# --- the attempt budget ---------------------------------------------------------------


def _spend_attempt(session: Session, account_id: str, now: datetime) -> int | None:
    """Take one attempt from the window's budget and the consecutive count, atomically, in
    one conditional UPDATE; the consecutive count this attempt makes if it fails, or None
    when either budget is spent.
    """
    fresh = or_(
        MfaAccount.failures_since.is_(None), MfaAccount.failures_since <= now - FAILURE_WINDOW
    )
    spent = session.execute(
        _quiet(
            update(MfaAccount)
            .where(
                MfaAccount.account_id == account_id,
                MfaAccount.consecutive_failures < MAX_CONSECUTIVE_FAILURES,
                or_(fresh, MfaAccount.failed_attempts < MAX_FAILURES),
            )
            .values(
                failed_attempts=case((fresh, 1), else_=MfaAccount.failed_attempts + 1),
                failures_since=case(
                    (fresh, literal(now, UTCDateTime())), else_=MfaAccount.failures_since
                ),
                consecutive_failures=MfaAccount.consecutive_failures + 1,
            )
            .returning(MfaAccount.consecutive_failures)
        )
    )
    consecutive: int | None = spent.scalar_one_or_none()
    return consecutive


def _refund_attempt(session: Session, account_id: str) -> None:
    """Give back the attempt a success spent, and only that one: the failures before it stay
    counted in the window, so a user signing in often cannot reopen it for someone guessing.
    The consecutive count starts again: a success is what ends a run of failures.
    """
    last = MfaAccount.failed_attempts <= 1
    session.execute(
        _quiet(
            update(MfaAccount)
            .where(MfaAccount.account_id == account_id)
            .values(
                failed_attempts=case((last, 0), else_=MfaAccount.failed_attempts - 1),
                failures_since=case((last, None), else_=MfaAccount.failures_since),
                consecutive_failures=0,
            )
        )
    )


def consecutive_failures(session: Session, account_id: str) -> int:
    query = select(MfaAccount.consecutive_failures).where(MfaAccount.account_id == account_id)
    return session.scalar(query) or 0


def locked_until(session: Session, account_id: str, *, now: datetime) -> datetime | None:
    row = session.execute(
        select(MfaAccount.failed_attempts, MfaAccount.failures_since).where(
            MfaAccount.account_id == account_id
        )
    ).first()
    if row is None or row.failures_since is None or row.failed_attempts < MAX_FAILURES:
        return None
    until: datetime = row.failures_since + FAILURE_WINDOW
    return until if until > now else None


def _spend_or_refuse(session: Session, account_id: str, now: datetime) -> int:
    """Spend an attempt (see ``_spend_attempt``) or raise the error saying which budget is out."""
    spent = _spend_attempt(session, account_id, now)
    if spent is not None:
        return spent
    failures = consecutive_failures(session, account_id)
    if failures >= MAX_CONSECUTIVE_FAILURES:
        # 423 Locked, not 429: waiting does not help, so there is no Retry-After to give, and
        # a client that backs off and retries on 429 must not keep hammering an account that
        # only support can reopen. The store tells the user to use a key or contact support.
        raise Locked(
            f"{failures} failed code verifications in a row; codes are refused until support "
            "unlocks the account (a security key still works)",
            consecutive_failures=failures,
        )
    until = locked_until(session, account_id, now=now) or now + FAILURE_WINDOW
    raise TooManyAttempts(
        f"{MAX_FAILURES} failed verifications within {FAILURE_WINDOW.seconds // 60} minutes; "
        f"try again after {until.isoformat(timespec='seconds')}",
        retry_after=max(1, int((until - now).total_seconds())),
    )


def refused(
    session: Session,
    *,
    account_id: str,
    method: Method,
    reason: str,
    actor: str,
    now: datetime,
    **details: Any,
) -> Verification:
    """Audit a failed verification (never the code) and answer it."""
    until = locked_until(session, account_id, now=now)
    if until is not None:
        details["locked_until"] = until.isoformat()
    record(
        session,
        action="verify_failed",
        account_id=account_id,
        method=method,
        actor=actor,
        reason=reason,
        **details,
    )
    return Verification(verified=False, method=method, reason=reason)


def _budgeted(
    session: Session,
    *,
    account_id: str,
    method: Method,
    actor: str,
    now: datetime,
    check: Callable[[], str | None],
) -> Verification:
    """Spend an attempt, run ``check`` (None when the factor is right), refund it on success.

    The failure that reaches ``MAX_CONSECUTIVE_FAILURES`` is audited as ``mfa.hard_lock``:
    the conditional spend lets exactly one attempt take the count to the cap.
    """
    consecutive = _spend_or_refuse(session, account_id, now)
    reason = check()
    if reason is None:
        _refund_attempt(session, account_id)
        return Verification(verified=True, method=method)
    answer = refused(
        session, account_id=account_id, method=method, reason=reason, actor=actor, now=now
    )
    if consecutive == MAX_CONSECUTIVE_FAILURES:
        record(
            session,
            action="hard_lock",
            account_id=account_id,
            method=method,
            actor=actor,
            consecutive_failures=consecutive,
        )
    return answer


def unlock(session: Session, *, account_id: str, actor: str) -> None:
    """Support's reset, once the owner is verified another way: clears the hard lock, the
    consecutive count and the window's budget, and audits what they were.
    """
    query = select(MfaAccount.consecutive_failures, MfaAccount.failed_attempts).where(
        MfaAccount.account_id == account_id
    )
    # FOR UPDATE (PostgreSQL) so the audited counts are the ones this reset clears.
    row = session.execute(query.with_for_update()).first()
    if row is None:
        raise NotFound(f"account {account_id} has no second factor")
    session.execute(
        _quiet(
            update(MfaAccount)
            .where(MfaAccount.account_id == account_id)
            .values(failed_attempts=0, failures_since=None, consecutive_failures=0)
        )
    )
    audit.record(
        session,
        actor=actor,
        action="mfa.unlock",
        target_type=TARGET,
        target_id=account_id,
        before={
            "consecutive_failures": row.consecutive_failures,
            "failed_attempts": row.failed_attempts,
            "hard_locked": row.consecutive_failures >= MAX_CONSECUTIVE_FAILURES,
        },
        after={"consecutive_failures": 0, "failed_attempts": 0, "hard_locked": False},
    )


# --- TOTP -----------------------------------------------------------------------------


def _sealer(secret_key: str) -> Sealer:
    return Sealer(secret_key, TOTP_PURPOSE)


def begin_totp(
    session: Session,
    *,
    account_id: str,
    account_name: str,
    issuer: str,
    secret_key: str,
    actor: str,
) -> TotpEnrolment:
    """A fresh secret, sealed on the account but not trusted until a first code confirms it."""
    account = ensure_account(session, account_id)
    if account.totp_enabled_at is not None:
        raise Conflict("TOTP is already on for this account; disable it before enrolling again")
    secret = totp.new_secret()
    account.totp_sealed, account.totp_last_step = _sealer(secret_key).seal(secret), None
    uri = totp.provisioning_uri(secret, account_name, issuer=issuer)
    record(session, action="totp_enrol", account_id=account_id, method=Method.TOTP, actor=actor)
    return TotpEnrolment(secret=secret, provisioning_uri=uri, qr_svg_data_uri=totp.qr_data_uri(uri))


def confirm_totp(
    session: Session,
    *,
    account_id: str,
    code: str,
    secret_key: str,
    actor: str,
    now: datetime | None = None,
) -> None:
    """Switch TOTP on once the device shows a right code; that code's step counts as used."""
    now = now or utcnow()
    account = find_account(session, account_id)
    if account is None or account.totp_sealed is None:
        raise Conflict("start TOTP enrolment first")
    if account.totp_enabled_at is not None:
        raise Conflict("TOTP is already confirmed for this account")
    secret = _sealer(secret_key).open(account.totp_sealed)
    step = totp.matching_step(secret, code, at=now, after=None)
    if step is None:
        raise Invalid("that code does not match; check the device's clock and try the next code")
    account.totp_enabled_at, account.totp_last_step = now, step
    record(session, action="totp_confirm", account_id=account_id, method=Method.TOTP, actor=actor)


def _accept_step(session: Session, account_id: str, step: int) -> bool:
    """Record ``step`` unless a step as late is already recorded: of two concurrent
    verifications of one code, exactly one changes the row.
    """
    accepted = session.execute(
        _quiet(
            update(MfaAccount)
            .where(
                MfaAccount.account_id == account_id,
                MfaAccount.totp_enabled_at.is_not(None),
                or_(MfaAccount.totp_last_step.is_(None), MfaAccount.totp_last_step < step),
            )
            .values(totp_last_step=step)
        )
    )
    return rows_changed(accepted) == 1


def _totp_reason(
    session: Session, account: MfaAccount, code: str, secret_key: str, now: datetime
) -> str | None:
    assert account.totp_sealed is not None
    secret = _sealer(secret_key).open(account.totp_sealed)
    step = totp.matching_step(secret, code, at=now, after=account.totp_last_step)
    if step is None:
        # A right code already used is worth telling apart: someone else has seen it.
        used = totp.matching_step(secret, code, at=now, after=None) is not None
        return "replayed" if used else "wrong_code"
    return None if _accept_step(session, account.account_id, step) else "replayed"


def verify_totp(
    session: Session,
    *,
    account_id: str,
    code: str,
    secret_key: str,
    actor: str,
    now: datetime | None = None,
) -> Verification:
    now = now or utcnow()
    account = find_account(session, account_id)
    if account is None or account.totp_enabled_at is None:
        return refused(
            session,
            account_id=account_id,
            method=Method.TOTP,
            reason="not_enrolled",
            actor=actor,
            now=now,
        )
    return _budgeted(
        session,
        account_id=account_id,
        method=Method.TOTP,
        actor=actor,
        now=now,
        check=lambda: _totp_reason(session, account, code, secret_key, now),
    )


def disable_totp(session: Session, *, account_id: str, actor: str) -> None:
    account = find_account(session, account_id)
    if account is None or account.totp_sealed is None:
        raise NotFound(f"account {account_id} has no TOTP")
    was = "on" if account.totp_enabled_at is not None else "pending"
    account.totp_sealed = account.totp_enabled_at = account.totp_last_step = None
    record(
        session,
        action="totp_disable",
        account_id=account_id,
        method=Method.TOTP,
        actor=actor,
        was=was,
    )


# --- recovery codes -------------------------------------------------------------------


def regenerate_recovery_codes(
    session: Session, *, account_id: str, secret_key: str, actor: str
) -> list[str]:
    """Replace every code; the plaintexts are returned once and never stored."""
    ensure_account(session, account_id)
    now = utcnow()
    unused = recovery_codes_left(session, account_id=account_id)
    session.execute(delete(AccountRecoveryCode).where(AccountRecoveryCode.account_id == account_id))
    issued = totp.issue_recovery_codes(secret_key, RECOVERY_PURPOSE)
    session.add_all(
        AccountRecoveryCode(account_id=account_id, code_digest=digest, created_at=now)
        for _, digest in issued
    )
    codes = [code for code, _ in issued]
    record(
        session,
        action="recovery_codes_regenerate",
        account_id=account_id,
        method=Method.RECOVERY_CODE,
        actor=actor,
        codes=len(codes),
        replaced_unused=unused,
    )
    return codes


def recovery_codes_left(session: Session, *, account_id: str) -> int:
    query = (
        select(func.count())
        .select_from(AccountRecoveryCode)
        .where(AccountRecoveryCode.account_id == account_id, AccountRecoveryCode.used_at.is_(None))
    )
    return session.scalar(query) or 0


def _recovery_reason(
    session: Session, account_id: str, code: str, secret_key: str, now: datetime
) -> str | None:
    digest = totp.recovery_code_digest(secret_key, RECOVERY_PURPOSE, code)
    if digest is None:
        return "wrong_code"
    mine = (
        AccountRecoveryCode.account_id == account_id,
        AccountRecoveryCode.code_digest == digest,
    )
    # Conditional, so two requests racing on one code cannot both use it.
    used = session.execute(
        update(AccountRecoveryCode)
        .where(*mine, AccountRecoveryCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(used) == 1:
        return None
    known = session.scalar(select(AccountRecoveryCode.id).where(*mine)) is not None
    return "already_used" if known else "wrong_code"


def verify_recovery_code(
    session: Session,
    *,
    account_id: str,
    code: str,
    secret_key: str,
    actor: str,
    now: datetime | None = None,
) -> Verification:
    now = now or utcnow()
    method = Method.RECOVERY_CODE
    if find_account(session, account_id) is None:
        return refused(
            session,
            account_id=account_id,
            method=method,
            reason="not_enrolled",
            actor=actor,
            now=now,
        )
    answer = _budgeted(
        session,
        account_id=account_id,
        method=method,
        actor=actor,
        now=now,
        check=lambda: _recovery_reason(session, account_id, code, secret_key, now),
    )
    if answer.verified:
        left = recovery_codes_left(session, account_id=account_id)
        record(
            session,
            action="recovery_code_used",
            account_id=account_id,
            method=method,
            actor=actor,
            codes_left=left,
        )
    return answer


# --- status ---------------------------------------------------------------------------


def status(session: Session, *, account_id: str, now: datetime | None = None) -> MfaStatus:
    """What the account can verify with; an account never seen has nothing, which is no error."""
    now = now or utcnow()
    account = find_account(session, account_id)
    state: Literal["off", "pending", "on"] = "off"
    if account is not None and account.totp_sealed is not None:
        state = "on" if account.totp_enabled_at is not None else "pending"
    codes = recovery_codes_left(session, account_id=account_id)
    keys = session.scalar(
        select(func.count())
        .select_from(WebAuthnCredential)
        .where(WebAuthnCredential.account_id == account_id)
    )
    factors = [
        method
        for method, present in (
            (Method.TOTP, state == "on"),
            (Method.WEBAUTHN, bool(keys)),
            (Method.RECOVERY_CODE, codes > 0),
        )
        if present
    ]
    return MfaStatus(
        account_id=account_id,
        factors=factors,
        totp=state,
        totp_enabled_at=account.totp_enabled_at if account else None,
        recovery_codes_left=codes,
        webauthn_credentials=keys or 0,
        locked_until=locked_until(session, account_id, now=now),
        consecutive_failures=account.consecutive_failures if account else 0,
        hard_locked=account is not None
        and account.consecutive_failures >= MAX_CONSECUTIVE_FAILURES,
    )
