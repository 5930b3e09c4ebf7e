"""Console operators: accounts, sign-in with lock-out, two-factor enrolment, administration.

Every change goes to the audit log in the caller's transaction. Secrets are never in it:
password hashes, TOTP secrets and recovery codes are left out of every snapshot.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tradeguard.auth import passwords, totp
from tradeguard.auth.models import ConsoleSession, Operator, RecoveryCode
from tradeguard.auth.sealing import Sealer
from tradeguard.db.base import rows_changed, utcnow
from tradeguard.engine import audit
from tradeguard.errors import Conflict, Invalid, NotFound, Unauthorized

LOCK_AFTER = 5  # consecutive failures before the account locks
FIRST_LOCK = timedelta(minutes=5)  # doubled for every further failure...
LONGEST_LOCK = timedelta(hours=1)  # ...up to this
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
TOTP_PURPOSE = "tradeguard/operator-totp/v1"
RECOVERY_PURPOSE = "tradeguard/operator-recovery/v1"


class OperatorRole(StrEnum):
    ADMIN = "admin"  # everything, including operators and rule-pack status
    ANALYST = "analyst"  # work cases, edit lists, run back-tests
    VIEWER = "viewer"  # read only


class OperatorRead(BaseModel):
    """What the audit log and the console show of an operator: no secret, no hash."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: str
    must_change_password: bool
    totp_enabled_at: datetime | None
    failed_logins: int
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime
    created_by: str
    disabled_at: datetime | None


@dataclass(frozen=True, slots=True)
class SignInFailure:
    message: str


def actor_of(operator: Operator) -> str:
    return f"operator:{operator.username}"


def _tracked(session: Session, operator: Operator, actor: str, action: str) -> Any:
    return audit.tracked(
        session,
        actor=actor,
        action=action,
        target_type="operator",
        row=operator,
        schema=OperatorRead,
    )


def normalise_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise Invalid(
            "a username is 2 to 64 characters: letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def get(session: Session, operator_id: int) -> Operator:
    operator = session.get(Operator, operator_id)
    if operator is None:
        raise NotFound(f"no operator {operator_id}")
    return operator


def by_username(session: Session, username: str) -> Operator | None:
    return session.scalar(select(Operator).where(Operator.username == username.strip().lower()))


def list_operators(session: Session) -> list[Operator]:
    return list(session.scalars(select(Operator).order_by(Operator.username)))


def create(
    session: Session,
    *,
    username: str,
    role: OperatorRole | str,
    actor: str,
    display_name: str | None = None,
    password: str | None = None,
) -> tuple[Operator, str | None]:
    """A new operator. Without ``password`` a one-time password is made and returned: the
    operator must replace it at first sign-in. A chosen password must pass the strength check.
    """
    name = normalise_username(username)
    try:
        role = OperatorRole(role)
    except ValueError:
        raise Invalid(f"role must be one of {', '.join(r.value for r in OperatorRole)}") from None
    if by_username(session, name) is not None:
        raise Conflict(f"operator {name!r} already exists")
    shown = display_name.strip() if display_name and display_name.strip() else name
    if len(shown) > 120:
        raise Invalid("a display name may have at most 120 characters")
    one_time = None
    if password is None:
        password = one_time = passwords.one_time_password()
    else:
        passwords.check_strength(password, user_inputs=[name, shown])
    operator = Operator(
        username=name,
        display_name=shown,
        role=role.value,
        password_hash=passwords.hash_password(password),
        must_change_password=one_time is not None,
        failed_logins=0,
        created_at=utcnow(),
        created_by=actor,
    )
    audit.created(
        session,
        actor=actor,
        action="operator.create",
        target_type="operator",
        row=operator,
        schema=OperatorRead,
    )
    return operator, one_time


def _lock_for(failures: int) -> timedelta:
    doubled = FIRST_LOCK * (1 << min(failures - LOCK_AFTER, 10))
    return min(doubled, LONGEST_LOCK)


def _minutes(delta: timedelta) -> int:
    return max(1, -(-int(delta.total_seconds()) // 60))


def locked_message(operator: Operator, now: datetime) -> str | None:
    if operator.locked_until is None or operator.locked_until <= now:
        return None
    wait = _minutes(operator.locked_until - now)
    return (
        f"Too many failed sign-ins: this account is locked for {wait} more minute(s). "
        "An admin can unlock it sooner."
    )


def record_failure(session: Session, operator: Operator, *, step: str, now: datetime) -> None:
    """Count a failed password or second factor; lock with a doubling back-off past the limit."""
    with _tracked(session, operator, "anonymous", f"operator.sign_in_failed.{step}"):
        operator.failed_logins += 1
        if operator.failed_logins >= LOCK_AFTER:
            operator.locked_until = now + _lock_for(operator.failed_logins)


def check_password(
    session: Session, *, username: str, password: str, now: datetime | None = None
) -> Operator | SignInFailure:
    """The first sign-in step. A locked account is refused before its password is checked,
    so the answer never tells an attacker whether a guess was right.
    """
    now = now or utcnow()
    generic = SignInFailure("Wrong username or password.")
    operator = by_username(session, username) if len(username) <= 64 else None
    if operator is None or operator.disabled_at is not None:
        passwords.verify(None, password)  # same cost as a real check
        digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:16]
        audit.record(
            session,
            actor="anonymous",
            action="operator.sign_in_failed.unknown",
            target_type="operator",
            target_id="unknown",
            after={"username_sha256": digest},
        )
        return generic
    if (locked := locked_message(operator, now)) is not None:
        audit.record(
            session,
            actor="anonymous",
            action="operator.sign_in_refused.locked",
            target_type="operator",
            target_id=operator.id,
        )
        return SignInFailure(locked)
    checked = passwords.verify(operator.password_hash, password)
    if not checked.ok:
        record_failure(session, operator, step="password", now=now)
        return SignInFailure(locked_message(operator, now) or generic.message)
    if checked.new_hash:
        operator.password_hash = checked.new_hash
    return operator


def check_second_factor(
    session: Session, operator: Operator, *, code: str, secret_key: str, now: datetime | None = None
) -> bool:
    """A TOTP code or an unused recovery code. A failure counts towards the lock-out."""
    now = now or utcnow()
    if locked_message(operator, now) is not None:
        return False
    if (
        operator.totp_sealed
        and (
            step := totp.matching_step(
                Sealer(secret_key, TOTP_PURPOSE).open(operator.totp_sealed),
                code,
                at=now,
                after=operator.totp_last_step,
            )
        )
        is not None
    ):
        operator.totp_last_step = step
        return True
    if _use_recovery_code(session, operator, code, secret_key, now):
        return True
    record_failure(session, operator, step="second_factor", now=now)
    return False


def _use_recovery_code(
    session: Session, operator: Operator, code: str, secret_key: str, now: datetime
) -> bool:
    digest = totp.recovery_code_digest(secret_key, RECOVERY_PURPOSE, code)
    if digest is None:
        return False
    # A conditional UPDATE, so two requests racing on one code cannot both use it.
    used = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.operator_id == operator.id,
            RecoveryCode.code_digest == digest,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    if rows_changed(used) != 1:
        return False
    left = session.scalar(
        select(RecoveryCode.id)
        .where(RecoveryCode.operator_id == operator.id, RecoveryCode.used_at.is_(None))
        .limit(1)
    )
    audit.record(
        session,
        actor=actor_of(operator),
        action="operator.recovery_code_used",
        target_type="operator",
        target_id=operator.id,
        after={"codes_left": left is not None},
    )
    return True


def signed_in(session: Session, operator: Operator, *, now: datetime | None = None) -> None:
    with _tracked(session, operator, actor_of(operator), "operator.sign_in"):
        operator.failed_logins, operator.locked_until = 0, None
        operator.last_login_at = now or utcnow()


def change_password(session: Session, operator: Operator, *, current: str, new: str) -> None:
    if not passwords.verify(operator.password_hash, current).ok:
        raise Unauthorized("the current password is wrong")
    if new == current:
        raise Invalid("the new password must differ from the current one")
    passwords.check_strength(new, user_inputs=[operator.username, operator.display_name])
    with _tracked(session, operator, actor_of(operator), "operator.password_change"):
        operator.password_hash = passwords.hash_password(new)
        operator.must_change_password = False


def begin_enrolment(operator: Operator, *, secret_key: str) -> str:
    """A fresh TOTP secret, sealed on the operator but not yet trusted until confirmed."""
    if operator.totp_enabled_at is not None:
        raise Conflict("two-factor sign-in is already set up; an admin can reset it")
    secret = totp.new_secret()
    operator.totp_sealed = Sealer(secret_key, TOTP_PURPOSE).seal(secret)
    operator.totp_last_step = None
    return secret


def pending_secret(operator: Operator, *, secret_key: str) -> str | None:
    if operator.totp_sealed is None or operator.totp_enabled_at is not None:
        return None
    return Sealer(secret_key, TOTP_PURPOSE).open(operator.totp_sealed)


def confirm_enrolment(
    session: Session, operator: Operator, *, code: str, secret_key: str, now: datetime | None = None
) -> list[str]:
    """Switch TOTP on once the phone shows a right code; returns fresh recovery codes."""
    now = now or utcnow()
    secret = pending_secret(operator, secret_key=secret_key)
    if secret is None:
        raise Conflict("start two-factor enrolment first")
    step = totp.matching_step(secret, code, at=now, after=None)
    if step is None:
        raise Invalid("that code does not match; check the phone's clock and try the next code")
    with _tracked(session, operator, actor_of(operator), "operator.totp_enrol"):
        operator.totp_enabled_at, operator.totp_last_step = now, step
    return new_recovery_codes(session, operator, secret_key=secret_key, actor=actor_of(operator))


def new_recovery_codes(
    session: Session, operator: Operator, *, secret_key: str, actor: str
) -> list[str]:
    """Replace every recovery code; the plaintexts are returned once and never stored."""
    now = utcnow()
    _retire_recovery_codes(session, operator, now)
    issued = totp.issue_recovery_codes(secret_key, RECOVERY_PURPOSE)
    for _, digest in issued:
        session.add(RecoveryCode(operator_id=operator.id, code_digest=digest, created_at=now))
    codes = [code for code, _ in issued]
    audit.record(
        session,
        actor=actor,
        action="operator.recovery_codes_issued",
        target_type="operator",
        target_id=operator.id,
        after={"codes": len(codes)},
    )
    return codes


def _retire_recovery_codes(session: Session, operator: Operator, now: datetime) -> None:
    session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.operator_id == operator.id, RecoveryCode.used_at.is_(None))
        .values(used_at=now)
    )


def recovery_codes_left(session: Session, operator: Operator) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.operator_id == operator.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def _end_sessions(session: Session, operator: Operator) -> None:
    session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.operator_id == operator.id, ConsoleSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def _not_self(operator: Operator, actor: str, what: str) -> None:
    if actor == actor_of(operator):
        raise Conflict(f"you cannot {what} your own account; ask another admin")


def set_role(session: Session, *, operator_id: int, role: str, actor: str) -> Operator:
    operator = get(session, operator_id)
    _not_self(operator, actor, "change the role of")
    try:
        new_role = OperatorRole(role)
    except ValueError:
        raise Invalid(f"role must be one of {', '.join(r.value for r in OperatorRole)}") from None
    with _tracked(session, operator, actor, "operator.role_change"):
        operator.role = new_role.value
    _end_sessions(session, operator)  # the new role applies from the next sign-in
    return operator


def disable(session: Session, *, operator_id: int, actor: str) -> Operator:
    operator = get(session, operator_id)
    _not_self(operator, actor, "disable")
    if operator.disabled_at is not None:
        raise Conflict(f"operator {operator.username} is already disabled")
    with _tracked(session, operator, actor, "operator.disable"):
        operator.disabled_at = utcnow()
    _end_sessions(session, operator)
    return operator


def enable(session: Session, *, operator_id: int, actor: str) -> Operator:
    operator = get(session, operator_id)
    if operator.disabled_at is None:
        raise Conflict(f"operator {operator.username} is not disabled")
    with _tracked(session, operator, actor, "operator.enable"):
        operator.disabled_at = None
    return operator


def unlock(session: Session, *, operator_id: int, actor: str) -> Operator:
    operator = get(session, operator_id)
    with _tracked(session, operator, actor, "operator.unlock"):
        operator.failed_logins, operator.locked_until = 0, None
    return operator


def reset_second_factor(session: Session, *, operator_id: int, actor: str) -> Operator:
    """For a lost phone with no recovery codes left: the operator enrols again at next sign-in."""
    operator = get(session, operator_id)
    with _tracked(session, operator, actor, "operator.totp_reset"):
        operator.totp_sealed = operator.totp_enabled_at = operator.totp_last_step = None
    _retire_recovery_codes(session, operator, utcnow())
    _end_sessions(session, operator)
    return operator


def reset_password(session: Session, *, operator_id: int, actor: str) -> tuple[Operator, str]:
    """A new one-time password, to be replaced at next sign-in; every session ends."""
    operator = get(session, operator_id)
    one_time = passwords.one_time_password()
    with _tracked(session, operator, actor, "operator.password_reset"):
        operator.password_hash = passwords.hash_password(one_time)
        operator.must_change_password = True
        operator.failed_logins, operator.locked_until = 0, None
    _end_sessions(session, operator)
    return operator, one_time
