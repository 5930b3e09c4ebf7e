"""Keys derived from the installation's secret key, one per purpose.

HKDF gives each use its own key, so a leak or misuse of one (say, a login form token) says
nothing about another (the key that seals TOTP secrets at rest).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tradeguard.errors import Invalid


def derive(secret_key: str, purpose: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
    return hkdf.derive(secret_key.encode())


def keyed_digest(secret_key: str, purpose: str, value: str) -> str:
    """HMAC-SHA256, for high-entropy values (recovery codes, tokens) that need no slow hash."""
    key = derive(secret_key, purpose)
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


class Sealer:
    """Authenticated encryption (Fernet: AES-128-CBC + HMAC-SHA256) for secrets at rest."""

    def __init__(self, secret_key: str, purpose: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(derive(secret_key, purpose)))

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            # Only a changed secret key or an edited row gets here; say which to check.
            raise Invalid("a sealed secret does not open with this installation's key") from exc
