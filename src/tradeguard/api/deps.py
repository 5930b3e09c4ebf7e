"""Request dependencies: the runtime, a unit of work, and the authenticated caller."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from tradeguard.auth.keys import Principal, Role, authenticate
from tradeguard.db.session import unit_of_work
from tradeguard.errors import Forbidden, Unauthorized
from tradeguard.runtime import Runtime

# Accepted keys are remembered briefly so a busy ingest client costs no key look-up per
# request; a revocation reaches every worker within this many seconds.
KEY_CACHE_SECONDS = 5.0


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with unit_of_work(runtime.sessions) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


class KeyCache:
    def __init__(self) -> None:
        self._seen: dict[str, tuple[float, Principal]] = {}

    def principal(self, runtime: Runtime, token: str) -> Principal:
        digest = hashlib.sha256(token.encode()).hexdigest()
        cached = self._seen.get(digest)
        if cached is not None and time.monotonic() - cached[0] < KEY_CACHE_SECONDS:
            return cached[1]
        with unit_of_work(runtime.sessions) as session:
            principal = authenticate(session, token)
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[digest] = (time.monotonic(), principal)
        return principal

    def clear(self) -> None:
        self._seen.clear()


def caller(request: Request, runtime: RuntimeDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send an API key as 'Authorization: Bearer KEY'")
    cache: KeyCache = request.app.state.key_cache
    return cache.principal(runtime, token.strip())


def require(*roles: Role) -> Callable[..., Principal]:
    """A dependency that lets in only the given roles (admin is always let in)."""
    allowed = {Role.ADMIN, *roles}

    def check(principal: Annotated[Principal, Depends(caller)]) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"role {principal.role.value} may not do this")
        return principal

    return check


Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Analyst = Annotated[Principal, Depends(require(Role.ANALYST))]
Reader = Annotated[Principal, Depends(require(Role.ANALYST, Role.INGEST))]
Ingest = Annotated[Principal, Depends(require(Role.INGEST))]
