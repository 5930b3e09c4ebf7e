"""Time-based one-time passwords (RFC 6238, via pyotp) and single-use recovery codes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno

ISSUER = "TradeGuard"
# RFC 6238's defaults, the only ones every authenticator app honours: HMAC-SHA1, 30 s, 6 digits.
DIGITS = 6
STEP_SECONDS = 30
# One 30-second step either side covers phone clocks that drift, and no more.
VALID_WINDOW = 1
RECOVERY_CODES = 10
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
