"""Time-based one-time passwords (RFC 6238, via pyotp) and single-use recovery codes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno

from tradeguard.auth.sealing import keyed_digest

ISSUER = "TradeGuard"
# RFC 6238's defaults, the only ones every authenticator app honours: HMAC-SHA1, 30 s, 6 digits.
DIGITS = 6
STEP_SECONDS = 30
# One 30-second step either side covers phone clocks that drift, and no more.
VALID_WINDOW = 1
RECOVERY_CODES = 10
RECOVERY_CODE_LENGTH = 12  # without the dashes
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def generator(secret: str, *, digits: int = DIGITS) -> pyotp.TOTP:
    """The one TOTP construction used everywhere; ``digits`` is there for RFC 6238's vectors."""
    return pyotp.TOTP(secret, digits=digits, digest=hashlib.sha1, interval=STEP_SECONDS)


def provisioning_uri(secret: str, username: str, *, issuer: str = ISSUER) -> str:
    return generator(secret).provisioning_uri(name=username, issuer_name=issuer)


def qr_data_uri(uri: str) -> str:
    """An SVG QR code as a data: URI, so the page needs no image route and no third party."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def matching_step(secret: str, code: str, *, at: datetime, after: int | None) -> int | None:
    """The time step a code belongs to, or None; steps at or before ``after`` are replays."""
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == DIGITS):
        return None
    totp = generator(secret)
    now_step = totp.timecode(at)
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        step = now_step + offset
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.at(at, counter_offset=offset), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten codes of 12 characters from a 31-letter alphabet: about 59 bits each."""
    return [
        "-".join("".join(secrets.choice(_CODE_ALPHABET) for _ in range(4)) for _ in range(3))
        for _ in range(RECOVERY_CODES)
    ]


def normalise_recovery_code(code: str) -> str:
    return code.strip().lower().replace(" ", "").replace("-", "")


def recovery_code_digest(secret_key: str, purpose: str, code: str) -> str | None:
    """What a recovery code is stored and looked up by; None for text that cannot be one.

    A keyed digest (HMAC), not a slow hash: ~59 random bits per code need a secret to be
    unguessable, not work. ``purpose`` keeps operators' and store accounts' codes apart.
    """
    normal = normalise_recovery_code(code)
    if len(normal) != RECOVERY_CODE_LENGTH:
        return None
    return keyed_digest(secret_key, purpose, normal)


def issue_recovery_codes(secret_key: str, purpose: str) -> list[tuple[str, str]]:
    """New codes, each with the digest to store; the plaintexts are shown once, never kept."""
    return [
        (code, keyed_digest(secret_key, purpose, normalise_recovery_code(code)))
        for code in new_recovery_codes()
    ]
