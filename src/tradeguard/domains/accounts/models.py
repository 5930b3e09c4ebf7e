"""Second factors of the store's accounts. ``account_id`` is the store's own id for the user.

Secrets never sit here in the clear: the TOTP secret is sealed (Fernet, key derived per
purpose), recovery codes are keyed digests, and a WebAuthn credential holds only a public key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tradeguard.db.base import Base, BigIntPK, JSONType, UTCDateTime, utcnow


class MfaAccount(Base):
    """One store account's TOTP state and its failed-verification budget.

    The row is what concurrent verifications of one account contend on: the last accepted
    TOTP step and the attempt counters are only ever changed by conditional UPDATEs.
    """

    __tablename__ = "mfa_accounts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(200), unique=True)
    # The WebAuthn user handle: random, so an authenticator never learns the store's id.
    user_handle: Mapped[str] = mapped_column(String(64))
    totp_sealed: Mapped[str | None] = mapped_column(Text)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    failures_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Failed code verifications since the last successful one, across windows: at
    # ``mfa.MAX_CONSECUTIVE_FAILURES`` codes are refused until support unlocks the account.
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AccountRecoveryCode(Base):
    """A single-use code for a lost phone or key, stored as a keyed digest."""

    __tablename__ = "mfa_recovery_codes"
    __table_args__ = (Index("ix_mfa_recovery_codes_account_digest", "account_id", "code_digest"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(200))
    code_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebAuthnCredential(Base):
    """A registered authenticator: its public key and the signature counter it last reported."""

    __tablename__ = "webauthn_credentials"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(200), index=True)
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE_Key, as registered
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    transports: Mapped[list[str]] = mapped_column(JSONType)
    aaguid: Mapped[str] = mapped_column(String(36))
    user_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    backed_up: Mapped[bool] = mapped_column(Boolean, default=False)
    label: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebAuthnChallenge(Base):
    """A challenge handed out with ceremony options: bound to one account and purpose,
    deleted when used, and refused after ``expires_at``.
    """

    __tablename__ = "webauthn_challenges"
    __table_args__ = (Index("ix_webauthn_challenges_account", "account_id", "purpose"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(16))  # registration | authentication
    challenge: Mapped[str] = mapped_column(String(128))  # base64url
    user_verification: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
