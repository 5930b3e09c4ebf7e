"""Second factors of the store's accounts: TOTP, recovery codes and WebAuthn.

Roles: the store's backend (``ingest``) runs its users' ceremonies and verifications;
``analyst`` may look at an account's factors and remove them (support after an account
takeover) and lift a lock-out once the owner is verified, but never handles a code or a
secret; ``admin`` may do everything.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from tradeguard.api.deps import Analyst, Ingest, Reader, RuntimeDep, SessionDep, require
from tradeguard.auth.keys import Principal, Role
from tradeguard.domains.accounts import mfa, webauthn_flow
from tradeguard.domains.accounts.mfa import MfaStatus, TotpEnrolment, Verification
from tradeguard.domains.accounts.webauthn_flow import (
    CredentialRead,
    Registration,
    RelyingParty,
    UserVerification,
)

# ``:path``, as in the accounts router: a store's ids may contain slashes.
router = APIRouter(prefix="/v1/accounts/{account_id:path}/mfa", tags=["mfa"])

# The store's own account id, as in its login events; control characters are refused.
AccountId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
# Removing a factor weakens an account: the user through the store, or support after a takeover.
Support = Annotated[Principal, Depends(require(Role.INGEST, Role.ANALYST))]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TotpStart(_Body):
    account_name: str | None = Field(
        default=None, min_length=1, max_length=200, description="shown in the app; the id if unset"
    )


class Code(_Body):
    code: str = Field(min_length=1, max_length=64)


class RecoveryCodes(BaseModel):
    codes: list[str]


class RegistrationStart(_Body):
    user_name: str | None = Field(default=None, min_length=1, max_length=200)
    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    user_verification: UserVerification = Field(
        default="preferred", description="'required' for staff: a PIN or biometric every time"
    )


class RegistrationFinish(_Body):
    credential: dict[str, Any]
    label: str = Field(default="Security key", min_length=1, max_length=120)


class AuthenticationStart(_Body):
    user_verification: UserVerification = "preferred"


class AuthenticationFinish(_Body):
    credential: dict[str, Any]


@router.get("")
def get_status(account_id: AccountId, session: SessionDep, _: Reader) -> MfaStatus:
    return mfa.status(session, account_id=account_id)


@router.post("/unlock")
def unlock(account_id: AccountId, session: SessionDep, caller: Analyst) -> MfaStatus:
    """Lift the hard lock (and the window's limit) once support has verified the owner."""
    mfa.unlock(session, account_id=account_id, actor=caller.actor)
    return mfa.status(session, account_id=account_id)


@router.post("/totp", status_code=201)
def start_totp(
    account_id: AccountId,
    session: SessionDep,
    runtime: RuntimeDep,
    caller: Ingest,
    body: TotpStart | None = None,
) -> TotpEnrolment:
    name = body.account_name if body and body.account_name else account_id
    return mfa.begin_totp(
        session,
        account_id=account_id,
        account_name=name,
        issuer=runtime.settings.webauthn_rp_name,
        secret_key=runtime.secret_key,
        actor=caller.actor,
    )


@router.post("/totp/confirm")
def confirm_totp(
    account_id: AccountId, body: Code, session: SessionDep, runtime: RuntimeDep, caller: Ingest
) -> MfaStatus:
    mfa.confirm_totp(
        session,
        account_id=account_id,
        code=body.code,
        secret_key=runtime.secret_key,
        actor=caller.actor,
    )
    return mfa.status(session, account_id=account_id)


@router.post("/totp/verify")
def verify_totp(
    account_id: AccountId, body: Code, session: SessionDep, runtime: RuntimeDep, caller: Ingest
) -> Verification:
    return mfa.verify_totp(
        session,
        account_id=account_id,
        code=body.code,
        secret_key=runtime.secret_key,
        actor=caller.actor,
    )


@router.delete("/totp", status_code=204)
def disable_totp(account_id: AccountId, session: SessionDep, caller: Support) -> Response:
    mfa.disable_totp(session, account_id=account_id, actor=caller.actor)
    return Response(status_code=204)


@router.post("/recovery-codes", status_code=201)
def regenerate_recovery_codes(
    account_id: AccountId, session: SessionDep, runtime: RuntimeDep, caller: Ingest
) -> RecoveryCodes:
    codes = mfa.regenerate_recovery_codes(
        session, account_id=account_id, secret_key=runtime.secret_key, actor=caller.actor
    )
    return RecoveryCodes(codes=codes)


@router.post("/recovery-codes/verify")
def verify_recovery_code(
    account_id: AccountId, body: Code, session: SessionDep, runtime: RuntimeDep, caller: Ingest
) -> Verification:
    return mfa.verify_recovery_code(
        session,
        account_id=account_id,
        code=body.code,
        secret_key=runtime.secret_key,
        actor=caller.actor,
    )


@router.post("/webauthn/registration/options")
def registration_options(
    account_id: AccountId,
    session: SessionDep,
    runtime: RuntimeDep,
    _: Ingest,
    body: RegistrationStart | None = None,
) -> dict[str, Any]:
    body = body or RegistrationStart()
    user_name = body.user_name or account_id
    return webauthn_flow.registration_options(
        session,
        account_id=account_id,
        rp=RelyingParty.from_settings(runtime.settings),
        user_name=user_name,
        display_name=body.display_name or user_name,
        user_verification=body.user_verification,
    )


@router.post("/webauthn/registration/verify")
def verify_registration(
    account_id: AccountId,
    body: RegistrationFinish,
    session: SessionDep,
    runtime: RuntimeDep,
    caller: Ingest,
) -> Registration:
    return webauthn_flow.verify_registration(
        session,
        account_id=account_id,
        rp=RelyingParty.from_settings(runtime.settings),
        credential=body.credential,
        label=body.label,
        actor=caller.actor,
    )


@router.post("/webauthn/authentication/options")
def authentication_options(
    account_id: AccountId,
    session: SessionDep,
    runtime: RuntimeDep,
    _: Ingest,
    body: AuthenticationStart | None = None,
) -> dict[str, Any]:
    return webauthn_flow.authentication_options(
        session,
        account_id=account_id,
        rp=RelyingParty.from_settings(runtime.settings),
        user_verification=(body or AuthenticationStart()).user_verification,
    )


@router.post("/webauthn/authentication/verify")
def verify_authentication(
    account_id: AccountId,
    body: AuthenticationFinish,
    session: SessionDep,
    runtime: RuntimeDep,
    caller: Ingest,
) -> Verification:
    return webauthn_flow.verify_authentication(
        session,
        account_id=account_id,
        rp=RelyingParty.from_settings(runtime.settings),
        credential=body.credential,
        actor=caller.actor,
    )


@router.get("/webauthn/credentials")
def list_credentials(account_id: AccountId, session: SessionDep, _: Reader) -> list[CredentialRead]:
    rows = webauthn_flow.credentials(session, account_id=account_id)
    return [CredentialRead.model_validate(r) for r in rows]


@router.get("/webauthn/credentials/{credential_pk}")
def get_credential(
    account_id: AccountId, credential_pk: int, session: SessionDep, _: Reader
) -> CredentialRead:
    row = webauthn_flow.credential(session, account_id=account_id, credential_pk=credential_pk)
    return CredentialRead.model_validate(row)


@router.delete("/webauthn/credentials/{credential_pk}", status_code=204)
def remove_credential(
    account_id: AccountId, credential_pk: int, session: SessionDep, caller: Support
) -> Response:
    webauthn_flow.remove_credential(
        session, account_id=account_id, credential_pk=credential_pk, actor=caller.actor
    )
    return Response(status_code=204)
