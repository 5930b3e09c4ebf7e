"""Evidence about who can act and how secrets are kept: operators, API keys, the secret key,
and the second factors of the store's own customers."""

from __future__ import annotations

import os
import stat
from datetime import timedelta

from sqlalchemy import and_, exists, or_, select

from tradeguard.auth.models import ApiKey, Operator
from tradeguard.domains.accounts.models import MfaAccount, WebAuthnCredential
from tradeguard.engine.tables import EventEntity, EventRecord
from tradeguard.levels.collectors.operations import AgeParams
from tradeguard.levels.evidence import Context, Measurement, NoParams, collector


@collector("operators.mfa", unit="share")
def operators_mfa(ctx: Context, _: NoParams) -> Measurement:
    """Enabled console operators who sign in with a second factor (TOTP)."""
    rows = ctx.session.execute(
        select(Operator.username, Operator.totp_enabled_at).where(
            Operator.created_at <= ctx.now,
            or_(Operator.disabled_at.is_(None), Operator.disabled_at > ctx.now),
        )
    ).all()
    without = sorted(name for name, at in rows if at is None or at > ctx.now)
    measured = Measurement.share(
        len(rows) - len(without),
        len(rows),
        "enabled operators have two-factor sign-in",
        empty="no console operator exists yet",
    )
    if without:
        shown = ", ".join(without[:5]) + (" ..." if len(without) > 5 else "")
        return measured.noting(f"without: {shown}")
    return measured


@collector("keys.rotated", unit="share", params=AgeParams)
def keys_rotated(ctx: Context, params: AgeParams) -> Measurement:
    """Active API keys younger than the rotation age."""
    oldest = ctx.now - timedelta(days=params.max_age_days)
    created = ctx.session.scalars(
        select(ApiKey.created_at).where(
            ApiKey.created_at <= ctx.now,
            or_(ApiKey.revoked_at.is_(None), ApiKey.revoked_at > ctx.now),
        )
    ).all()
    if not created:
        return Measurement(1.0, "share", "no active API key, so none is overdue", 0)
    return Measurement.share(
        sum(1 for at in created if at >= oldest),
        len(created),
        f"active API keys are under {params.max_age_days} days old",
        empty="",
    )


@collector("secrets.key_protected", unit="flag")
def secret_key_protected(ctx: Context, _: NoParams) -> Measurement:
    """The key that seals TOTP secrets comes from the environment or an owner-only file."""
    if ctx.settings.secret_key is not None:
        return Measurement(1.0, "flag", "the secret key is given by TRADEGUARD_SECRET_KEY")
    path = ctx.settings.data_dir / "secret_key"
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return Measurement.none("flag", f"no secret key file at {path} yet")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return Measurement(0.0, "flag", f"{path} is readable by others (mode {mode:o}): chmod 600")
    return Measurement(1.0, "flag", f"{path} is readable by its owner only (mode {mode:o})")


@collector("accounts.mfa_coverage", unit="share")
def accounts_mfa_coverage(ctx: Context, _: NoParams) -> Measurement:
    """Store accounts that signed in during the window with a second factor enrolled."""
    signed_in = (
        select(EventEntity.entity_value)
        .join(EventRecord, EventRecord.id == EventEntity.event_pk)
        .where(
            EventRecord.kind == "login",
            EventRecord.occurred_at >= ctx.since,
            EventRecord.occurred_at < ctx.now,
            EventRecord.payload["success"].as_boolean().is_(True),
            EventEntity.entity_type == "account",
        )
        .distinct()
        .subquery()
    )
    account = signed_in.c.entity_value
    totp = exists().where(
        MfaAccount.account_id == account,
        and_(MfaAccount.totp_enabled_at.is_not(None), MfaAccount.totp_enabled_at <= ctx.now),
    )
    key = exists().where(
        WebAuthnCredential.account_id == account, WebAuthnCredential.created_at <= ctx.now
    )
    rows = ctx.session.execute(select(account, or_(totp, key))).all()
    return Measurement.share(
        sum(1 for _, enrolled in rows if enrolled),
        len(rows),
        "accounts that signed in have a second factor",
        empty="no store account signed in during the window",
    )
