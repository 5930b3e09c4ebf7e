"""API keys with roles.

A key is ``tg_<prefix>_<secret>`` with 256 bits of randomness. It is stored as SHA-256, not
argon2: a slow hash protects guessable passwords, while a random key cannot be guessed and is
checked on every request, where argon2's deliberate cost would cap throughput.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeguard.auth.models import ApiKey
from tradeguard.db.base import utcnow
from tradeguard.engine import audit
from tradeguard.errors import Invalid, NotFound, Unauthorized


class Role(StrEnum):
    ADMIN = "admin"  # everything, including rule packs and keys
    ANALYST = "analyst"  # read, work cases, edit lists, back-test
    INGEST = "ingest"  # send events and read their verdicts


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: ``actor`` is what the audit log records."""

    actor: str
    role: Role


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    role: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(session: Session, *, role: Role | str, name: str, actor: str) -> tuple[ApiKey, str]:
    """Store a new key and return it with its plaintext, which is never stored or shown again."""
    try:
        role = Role(role)
    except ValueError:
        raise Invalid(f"role must be one of {', '.join(r.value for r in Role)}") from None
    name = name.strip()
    if not name or len(name) > 120:
        raise Invalid("a key needs a name of 1 to 120 characters")
    prefix = secrets.token_hex(4)
    plaintext = f"tg_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        name=name, prefix=prefix, key_sha256=_digest(plaintext), role=role.value, created_by=actor
    )
    session.add(key)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="key.create",
        target_type="api_key",
        target_id=key.id,
        after={"name": name, "prefix": prefix, "role": role.value},
    )
    return key, plaintext


def authenticate(session: Session, token: str) -> Principal:
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "tg" or len(parts[1]) != 8:
        raise Unauthorized("the API key is malformed")
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == parts[1])).first()
    # Compare even when the prefix is unknown, so timing does not reveal which prefixes exist.
    stored = key.key_sha256 if key is not None else "0" * 64
    if not hmac.compare_digest(stored, _digest(token)) or key is None or key.revoked_at:
        raise Unauthorized("the API key is not valid")
    return Principal(actor=f"key:{key.prefix}:{key.name}", role=Role(key.role))


def revoke(session: Session, *, key_id: int, actor: str) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        raise NotFound(f"no active API key {key_id}")
    key.revoked_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="key.revoke",
        target_type="api_key",
        target_id=key.id,
        before={"revoked_at": None},
        after={"revoked_at": key.revoked_at.isoformat()},
    )
    return key


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))
