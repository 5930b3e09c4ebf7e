"""Check a prospective password for one of the store's users against the password policy.

Nothing about a check is stored or audited: it changes nothing, and a log of checks would be
a log of people's password attempts. The log line carries the outcome only.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter

from tradeguard.api.deps import Ingest, RuntimeDep
from tradeguard.config import Settings
from tradeguard.domains.accounts import breached, password_policy
from tradeguard.domains.accounts.schemas import PasswordCheck, PasswordCheckResult

router = APIRouter(prefix="/v1/passwords", tags=["passwords"])
log = logging.getLogger(__name__)


def check_password(body: PasswordCheck, settings: Settings) -> PasswordCheckResult:
    """Shared with the console: the breach corpus comes from settings, looked at on each use."""
    path = settings.breached_passwords_path
    result = password_policy.assess(
        body.password.get_secret_value(),
        with_second_factor=body.with_second_factor,
        context=body.context,
        breaches=breached.open_corpus(path) if path is not None else None,
    )
    log.debug(
        "password check: acceptable=%s score=%d reasons=%s",
        result.acceptable,
        result.score,
        ",".join(r.code for r in result.reasons) or "-",
    )
    return result


@router.post("/check")
def check(body: PasswordCheck, runtime: RuntimeDep, _: Ingest) -> PasswordCheckResult:
    """Screened by the same role that posts events: the store's backend, at sign-up or change."""
    return check_password(body, runtime.settings)
