"""WebAuthn (passkeys and security keys) for the store's accounts, on Duo Labs' ``webauthn``.

Challenges live server-side: bound to one account and one purpose, deleted when presented
whatever the outcome, and refused after five minutes. The library checks origin, RP id,
flags and signatures; the signature counter is checked here, after the signature, so a
decreasing counter is a trustworthy sign of a cloned authenticator rather than noise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    bytes_to_base64url,
    generate_challenge,
    options_to_json_dict,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from tradeguard.config import Settings
from tradeguard.db.base import rows_changed, utcnow
from tradeguard.domains.accounts import mfa
from tradeguard.domains.accounts.mfa import Method, Verification
from tradeguard.domains.accounts.models import WebAuthnChallenge, WebAuthnCredential
from tradeguard.errors import Conflict, Invalid, NotFound

CHALLENGE_TTL = timedelta(minutes=5)
Purpose = Literal["registration", "authentication"]
UserVerification = Literal["required", "preferred", "discouraged"]
_Parsed = TypeVar("_Parsed")


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """Who the browser believes it is talking to: the store, not TradeGuard."""

    id: str
    name: str
    origins: list[str]

    @classmethod
    def from_settings(cls, settings: Settings) -> RelyingParty:
        return cls(settings.webauthn_rp_id, settings.webauthn_rp_name, settings.webauthn_origins)


class CredentialRead(BaseModel):
    """A registered authenticator as the API shows it; the public key stays in the database."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: str
    credential_id: str
    label: str
    sign_count: int
    transports: list[str]
    aaguid: str
    user_verified: bool
    backed_up: bool
    created_at: datetime
    created_by: str
    last_used_at: datetime | None


class Registration(BaseModel):
    """A refused ceremony is an answer (its challenge is spent), so it commits like a success."""

    verified: bool
    method: Method = Method.WEBAUTHN
    reason: str | None = None
    credential: CredentialRead | None = None


# --- challenges -----------------------------------------------------------------------


def _issue(
    session: Session,
    *,
    account_id: str,
    purpose: Purpose,
    user_verification: UserVerification,
    now: datetime,
) -> bytes:
    session.execute(
        delete(WebAuthnChallenge).where(
            WebAuthnChallenge.account_id == account_id, WebAuthnChallenge.expires_at <= now
        )
    )
    challenge = generate_challenge()
    session.add(
        WebAuthnChallenge(
            account_id=account_id,
            purpose=purpose,
            challenge=bytes_to_base64url(challenge),
            user_verification=user_verification,
            created_at=now,
            expires_at=now + CHALLENGE_TTL,
        )
    )
    session.flush()
    return challenge


@dataclass(frozen=True, slots=True)
class _Redeemed:
    challenge: bytes
    require_user_verification: bool


def _redeem(
    session: Session, *, account_id: str, purpose: Purpose, client_data_json: bytes, now: datetime
) -> _Redeemed | str:
    """The challenge the browser signed, deleted so it cannot be presented twice; or why not."""
    try:
        presented = bytes_to_base64url(parse_client_data_json(client_data_json).challenge)
    except (WebAuthnException, ValueError, TypeError):
        return "malformed_client_data"
    row = session.scalar(
        select(WebAuthnChallenge).where(
            WebAuthnChallenge.account_id == account_id,
            WebAuthnChallenge.purpose == purpose,
            WebAuthnChallenge.challenge == presented,
        )
    )
    if row is None:
        return "challenge_unknown"  # never issued, already used, or another account's
    redeemed = _Redeemed(base64url_to_bytes(row.challenge), row.user_verification == "required")
    expires_at = row.expires_at
    taken = session.execute(
        delete(WebAuthnChallenge)
        .where(WebAuthnChallenge.id == row.id)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(taken) != 1:
        return "challenge_unknown"  # a concurrent request presented it first
    session.expunge(row)
    return "challenge_expired" if expires_at <= now else redeemed


# --- credentials ----------------------------------------------------------------------


def credentials(session: Session, *, account_id: str) -> list[WebAuthnCredential]:
    query = select(WebAuthnCredential).where(WebAuthnCredential.account_id == account_id)
    return list(session.scalars(query.order_by(WebAuthnCredential.id)))


def credential(session: Session, *, account_id: str, credential_pk: int) -> WebAuthnCredential:
    found = session.get(WebAuthnCredential, credential_pk)
    if found is None or found.account_id != account_id:
        raise NotFound(f"account {account_id} has no WebAuthn credential {credential_pk}")
    return found


def remove_credential(session: Session, *, account_id: str, credential_pk: int, actor: str) -> None:
    found = credential(session, account_id=account_id, credential_pk=credential_pk)
    session.delete(found)
    mfa.record(
        session,
        action="webauthn_credential_remove",
        account_id=account_id,
        method=Method.WEBAUTHN,
        actor=actor,
        credential=found.id,
        label=found.label,
    )


def _descriptors(rows: list[WebAuthnCredential]) -> list[PublicKeyCredentialDescriptor]:
    known = {t.value for t in AuthenticatorTransport}
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(row.credential_id),
            transports=[AuthenticatorTransport(t) for t in row.transports if t in known],
        )
        for row in rows
    ]


def _parse(parser: Callable[[dict[str, Any]], _Parsed], credential: dict[str, Any]) -> _Parsed:
    try:
        return parser(credential)
    except (WebAuthnException, ValueError, TypeError) as exc:
        raise Invalid(f"credential is not a WebAuthn PublicKeyCredential in JSON: {exc}") from None


# --- registration ---------------------------------------------------------------------


def registration_options(
    session: Session,
    *,
    account_id: str,
    rp: RelyingParty,
    user_name: str,
    display_name: str,
    user_verification: UserVerification,
    now: datetime | None = None,
) -> dict[str, Any]:
    """``PublicKeyCredentialCreationOptions`` as JSON, excluding keys the account already has."""
    now = now or utcnow()
    account = mfa.ensure_account(session, account_id)
    challenge = _issue(
        session,
        account_id=account_id,
        purpose="registration",
        user_verification=user_verification,
        now=now,
    )
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=user_name,
        user_id=base64url_to_bytes(account.user_handle),
        user_display_name=display_name,
        challenge=challenge,
        timeout=int(CHALLENGE_TTL.total_seconds() * 1000),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement(user_verification),
        ),
        exclude_credentials=_descriptors(credentials(session, account_id=account_id)),
    )
    return options_to_json_dict(options)


def verify_registration(
    session: Session,
    *,
    account_id: str,
    rp: RelyingParty,
    credential: dict[str, Any],
    label: str,
    actor: str,
    now: datetime | None = None,
) -> Registration:
    now = now or utcnow()
    parsed = _parse(parse_registration_credential_json, credential)
    redeemed = _redeem(
        session,
        account_id=account_id,
        purpose="registration",
        client_data_json=parsed.response.client_data_json,
        now=now,
    )

    def refuse(reason: str, **details: Any) -> Registration:
        mfa.record(
            session,
            action="webauthn_registration_failed",
            account_id=account_id,
            method=Method.WEBAUTHN,
            actor=actor,
            reason=reason,
            **details,
        )
        return Registration(verified=False, reason=reason)

    if isinstance(redeemed, str):
        return refuse(redeemed)
    try:
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=redeemed.challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origins,
            require_user_verification=redeemed.require_user_verification,
        )
    except WebAuthnException as exc:
        return refuse("invalid_attestation", detail=str(exc)[:300])
    credential_id = bytes_to_base64url(verified.credential_id)
    if session.scalar(
        select(WebAuthnCredential.id).where(WebAuthnCredential.credential_id == credential_id)
    ):
        return refuse("credential_already_registered")
    row = WebAuthnCredential(
        account_id=account_id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[t.value for t in parsed.response.transports or []],
        aaguid=verified.aaguid,
        user_verified=verified.user_verified,
        backed_up=verified.credential_backed_up,
        label=label,
        created_at=now,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    mfa.record(
        session,
        action="webauthn_credential_add",
        account_id=account_id,
        method=Method.WEBAUTHN,
        actor=actor,
        credential=row.id,
        label=label,
        aaguid=row.aaguid,
    )
    return Registration(verified=True, credential=CredentialRead.model_validate(row))


# --- authentication -------------------------------------------------------------------


def authentication_options(
    session: Session,
    *,
    account_id: str,
    rp: RelyingParty,
    user_verification: UserVerification,
    now: datetime | None = None,
) -> dict[str, Any]:
    """``PublicKeyCredentialRequestOptions`` as JSON, allowing only this account's keys."""
    now = now or utcnow()
    rows = credentials(session, account_id=account_id)
    if not rows:
        raise Conflict(f"account {account_id} has no WebAuthn credential; register one first")
    challenge = _issue(
        session,
        account_id=account_id,
        purpose="authentication",
        user_verification=user_verification,
        now=now,
    )
    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=challenge,
        timeout=int(CHALLENGE_TTL.total_seconds() * 1000),
        allow_credentials=_descriptors(rows),
        user_verification=UserVerificationRequirement(user_verification),
    )
    return options_to_json_dict(options)


def _advance_sign_count(session: Session, row: WebAuthnCredential, new: int, now: datetime) -> bool:
    """Store the authenticator's counter if it moved forward (or both stay 0, as synced
    passkeys report); conditional, so two racing assertions cannot both pass.
    """
    moved = WebAuthnCredential.sign_count == 0 if new == 0 else WebAuthnCredential.sign_count < new
    result = session.execute(
        update(WebAuthnCredential)
        .where(WebAuthnCredential.id == row.id, moved)
        .values(sign_count=new, last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result) == 1


def verify_authentication(
    session: Session,
    *,
    account_id: str,
    rp: RelyingParty,
    credential: dict[str, Any],
    actor: str,
    now: datetime | None = None,
) -> Verification:
    now = now or utcnow()
    parsed = _parse(parse_authentication_credential_json, credential)

    def refuse(reason: str, **details: Any) -> Verification:
        return mfa.refused(
            session,
            account_id=account_id,
            method=Method.WEBAUTHN,
            reason=reason,
            actor=actor,
            now=now,
            **details,
        )

    redeemed = _redeem(
        session,
        account_id=account_id,
        purpose="authentication",
        client_data_json=parsed.response.client_data_json,
        now=now,
    )
    if isinstance(redeemed, str):
        return refuse(redeemed)
    row = session.scalar(
        select(WebAuthnCredential).where(
            WebAuthnCredential.account_id == account_id,
            WebAuthnCredential.credential_id == bytes_to_base64url(parsed.raw_id),
        )
    )
    if row is None:
        return refuse("unknown_credential")
    handle = parsed.response.user_handle
    account = mfa.find_account(session, account_id)
    if handle and (account is None or handle != base64url_to_bytes(account.user_handle)):
        return refuse("user_handle_mismatch", credential=row.id)
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=redeemed.challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origins,
            credential_public_key=row.public_key,
            credential_current_sign_count=0,  # checked below, once the signature is known good
            require_user_verification=redeemed.require_user_verification,
        )
    except WebAuthnException as exc:
        return refuse("invalid_assertion", credential=row.id, detail=str(exc)[:300])
    if not _advance_sign_count(session, row, verified.new_sign_count, now):
        mfa.record(
            session,
            action="webauthn_sign_count_anomaly",
            account_id=account_id,
            method=Method.WEBAUTHN,
            actor=actor,
            credential=row.id,
            stored_sign_count=row.sign_count,
            presented_sign_count=verified.new_sign_count,
        )
        return refuse("sign_count_not_increased", credential=row.id)
    return Verification(verified=True, method=Method.WEBAUTHN)
