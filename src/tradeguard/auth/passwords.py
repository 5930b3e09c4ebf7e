"""Operator passwords: argon2id hashes and a strength floor measured by zxcvbn.

argon2-cffi's defaults follow RFC 9106's second recommended profile; a stored hash made with
older parameters is re-hashed at the next successful sign-in.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tradeguard.domains.accounts.password_policy import estimate_strength
from tradeguard.errors import Invalid

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_SCORE = 3  # zxcvbn: "safely unguessable: moderate protection from offline slow-hash attacks"
_hasher = PasswordHasher()
# Verified against when the username is unknown, so a miss costs the same time as a hit.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True, slots=True)
class Checked:
    ok: bool
    new_hash: str | None = None  # set when the stored hash should be upgraded


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(stored_hash: str | None, password: str) -> Checked:
    if len(password) > MAX_LENGTH:
        return Checked(ok=False)
    try:
        _hasher.verify(stored_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return Checked(ok=False)
    if stored_hash is None:
        return Checked(ok=False)
    rehash = _hasher.check_needs_rehash(stored_hash)
    return Checked(ok=True, new_hash=_hasher.hash(password) if rehash else None)


def check_strength(password: str, *, user_inputs: list[str]) -> None:
    """Refuse a weak password with zxcvbn's own advice in the message."""
    if len(password) < MIN_LENGTH:
        raise Invalid(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise Invalid(f"a password may have at most {MAX_LENGTH} characters")
    # The store's policy module scores only a prefix and serialises zxcvbn, which is not
    # thread-safe and refuses long input outright.
    strength = estimate_strength(password, user_inputs=user_inputs)
    if strength.score < MIN_SCORE:
        advice = " ".join(filter(None, [strength.warning, *strength.suggestions]))
        raise Invalid(f"this password is too easy to guess. {advice}".strip())


def one_time_password() -> str:
    """A random password handed to a new operator, who must replace it at first sign-in."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))
