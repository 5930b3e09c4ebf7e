"""Check a prospective password for one of the store's users against the password policy."""

from __future__ import annotations

from fastapi import APIRouter

from tradeguard.api.deps import Ingest, RuntimeDep
from tradeguard.domains.accounts import password_policy
from tradeguard.domains.accounts.schemas import PasswordCheck, PasswordCheckResult

router = APIRouter(prefix="/v1/passwords", tags=["passwords"])


@router.post("/check")
def check(body: PasswordCheck, runtime: RuntimeDep, _: Ingest) -> PasswordCheckResult:
    """Screened by the same role that posts events: the store's backend, at sign-up or change."""
    return password_policy.check(body, breach_corpus=runtime.settings.breached_passwords_path)
