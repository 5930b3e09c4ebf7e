"""Our TOTP construction against RFC 6238 Appendix B (SHA1 vectors)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from tradeguard.auth import totp

# The 20-byte ASCII seed of the SHA1 vectors, base32 as authenticator apps carry it.
SEED = base64.b32encode(b"12345678901234567890").decode()
VECTORS = [
    (59, 1, "94287082"),
    (1111111109, 0x23523EC, "07081804"),
    (1111111111, 0x23523ED, "14050471"),
    (1234567890, 0x273EF07, "89005924"),
    (2000000000, 0x3F940AA, "69279037"),
    (20000000000, 0x27BC86AA, "65353130"),
]


def test_the_seed_is_the_rfc_one() -> None:
    assert SEED == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


@pytest.mark.parametrize(("unix", "step", "expected"), VECTORS)
def test_eight_digit_codes_match_the_rfc(unix: int, step: int, expected: str) -> None:
    generator = totp.generator(SEED, digits=8)
    assert generator.timecode(datetime.fromtimestamp(unix, UTC)) == step
    assert generator.at(unix) == expected


@pytest.mark.parametrize(("unix", "step", "expected"), VECTORS)
def test_our_six_digit_codes_are_the_last_six(unix: int, step: int, expected: str) -> None:
    assert totp.generator(SEED).at(unix) == expected[-6:]


@pytest.mark.parametrize(("unix", "step", "expected"), VECTORS)
def test_matching_step_finds_the_vector_step(unix: int, step: int, expected: str) -> None:
    at = datetime.fromtimestamp(unix, UTC)
    assert totp.matching_step(SEED, expected[-6:], at=at, after=None) == step
    assert totp.matching_step(SEED, expected[-6:], at=at, after=step) is None  # a replay
    assert totp.matching_step(SEED, expected, at=at, after=None) is None  # 8 digits: not ours


def test_a_code_is_accepted_one_step_either_side_and_no_further() -> None:
    code = totp.generator(SEED).at(1111111111)
    for offset, accepted in ((-60, False), (-30, True), (0, True), (30, True), (60, False)):
        at = datetime.fromtimestamp(1111111111 + offset, UTC)
        found = totp.matching_step(SEED, code, at=at, after=None)
        assert (found is not None) is accepted, offset


def test_the_construction_is_sha1_thirty_seconds_six_digits() -> None:
    uri = totp.provisioning_uri(SEED, "alice@shop.example", issuer="Shop")
    assert uri.startswith("otpauth://totp/Shop:alice%40shop.example?")
    assert "secret=" + SEED in uri
    # pyotp leaves the defaults out of the URI, which apps then assume: SHA1, 30 s, 6 digits.
    assert "algorithm" not in uri or "algorithm=SHA1" in uri
    assert "digits" not in uri or "digits=6" in uri
    assert "period" not in uri or "period=30" in uri
