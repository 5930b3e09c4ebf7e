"""Sender authentication: Authentication-Results as real servers write them, and our own DKIM."""

from __future__ import annotations

import base64

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tradeguard.domains.mail import auth
from tradeguard.domains.mail.message import Address, ParsedMessage

GOOGLE = (
    "mx.google.com; dkim=pass header.i=@paypal.com header.s=pp-dkim1 header.b=abc; "
    "spf=pass (google.com: domain of x@paypal.com designates 1.2.3.4 as permitted sender) "
    "smtp.mailfrom=x@paypal.com; dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=paypal.com"
)
# Microsoft 365: no authserv-id, an empty header.from and a trailing semicolon.
MICROSOFT = (
    "spf=softfail (sender IP is 80.96.157.1) smtp.mailfrom=bulk.example; dkim=none "
    "(message not signed) header.d=none;dmarc=fail action=none header.from=;compauth=fail "
    "reason=001;"
)


def message(*headers: tuple[str, str], sender: str = "x@paypal.com") -> ParsedMessage:
    return ParsedMessage(headers=tuple(headers), sender=Address("PayPal", sender))


def test_reads_a_google_header() -> None:
    results = auth.recorded_results(message(("Authentication-Results", GOOGLE)))
    assert (results.spf, results.dkim, results.dmarc) == ("pass", "pass", "pass")
    assert results.dkim_domains == ("paypal.com",)
    assert results.mailfrom_domain == "paypal.com"
    assert results.source == "Authentication-Results from mx.google.com"


def test_reads_microsofts_header_without_a_server_name() -> None:
    results = auth.recorded_results(message(("Authentication-Results", MICROSOFT)))
    assert (results.spf, results.dkim, results.dmarc) == ("softfail", "none", "fail")
    assert results.mailfrom_domain == "bulk.example"
    codes = [f.code for f in auth.auth_findings(results, "paypal.com")]
    assert codes == ["dmarc_fail", "spf_fail"]


def test_only_a_trusted_server_is_believed() -> None:
    forged = "mx.google.com; dmarc=pass header.from=paypal.com"
    ours = "mx.shop.example; dmarc=fail header.from=paypal.com"
    msg = message(("Authentication-Results", forged), ("Authentication-Results", ours))
    trusted = auth.recorded_results(msg, trusted=["mx.shop.example"])
    assert trusted.dmarc == "fail"
    assert auth.recorded_results(msg, trusted=["mx.other.example"]).source == ""
    # Untrusted by configuration: the topmost (last added) header counts.
    assert auth.recorded_results(msg).dmarc == "pass"


def test_arc_stands_in_when_no_direct_result() -> None:
    msg = message(
        ("ARC-Authentication-Results", "i=1; mx.a.example; dmarc=fail header.from=x.example"),
        ("ARC-Authentication-Results", "i=2; mx.b.example; dmarc=pass header.from=x.example"),
    )
    results = auth.recorded_results(msg)
    assert results.dmarc == "pass"
    assert results.source == "ARC-Authentication-Results"


def test_no_header_means_no_finding() -> None:
    """Old mail and many small servers record nothing: absence is not evidence."""
    results = auth.recorded_results(message())
    assert results == auth.AuthResults()
    assert auth.auth_findings(results, "paypal.com") == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("dkim=fail header.d=a.example; dkim=pass header.d=b.example", "pass"),
        ("dkim=neutral; dkim=fail", "fail"),
        ("dkim=bogus", "none"),
        ("garbage without any equals sign", "none"),
        (";;;", "none"),
    ],
)
def test_several_results_and_junk(value: str, expected: str) -> None:
    assert auth.recorded_results(message(("Authentication-Results", value))).dkim == expected


def test_alignment() -> None:
    registered = lambda d: ".".join(d.split(".")[-2:]) if d else ""  # noqa: E731
    signed = auth.AuthResults(dkim="pass", dkim_domains=("mail.shop.example",))
    assert auth.aligned(signed, "shop.example", registered)
    assert not auth.aligned(signed, "other.example", registered)
    spf = auth.AuthResults(spf="pass", mailfrom_domain="bounce.shop.example")
    assert auth.aligned(spf, "shop.example", registered)
    assert auth.aligned(auth.AuthResults(dmarc="pass"), "x.example", registered)
    assert not auth.aligned(auth.AuthResults(), "", registered)


@pytest.fixture(scope="module")
def key() -> tuple[bytes, bytes]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


RAW = b"From: Li Wei <li@shop.example>\r\nTo: a@b.example\r\nSubject: PO 4411\r\n\r\nHello\r\n"


def test_own_dkim_check_with_a_resolver(key: tuple[bytes, bytes]) -> None:
    pem, record = key
    asked: list[str] = []

    def lookup(name: bytes | str, timeout: float = 5) -> bytes | None:
        text = name.decode() if isinstance(name, bytes) else name
        asked.append(text)
        return record if text.rstrip(".") == "s1._domainkey.shop.example" else None

    signed = dkim.sign(RAW, b"s1", b"shop.example", pem) + RAW
    good = auth.verify_dkim(signed, lookup)
    assert (good.dkim, good.dkim_domains, good.source) == (
        "pass",
        ("shop.example",),
        "own DKIM check",
    )
    tampered = auth.verify_dkim(signed.replace(b"Hello", b"Hellx"), lookup)
    assert tampered.dkim == "fail"
    assert auth.verify_dkim(RAW, lookup) == auth.AuthResults()
    assert asked  # the key was looked up through the given resolver, nowhere else


def test_own_check_overrides_a_claimed_dkim_pass(key: tuple[bytes, bytes]) -> None:
    recorded = auth.AuthResults(
        spf="pass", dkim="pass", dmarc="pass", source="Authentication-Results"
    )
    own = auth.AuthResults(dkim="fail", source="own DKIM check")
    combined = auth.combine(recorded, own)
    assert (combined.spf, combined.dkim, combined.dmarc) == ("pass", "fail", "pass")
    assert combined.source == "Authentication-Results + own DKIM check"
    assert auth.combine(recorded, None) == recorded


def test_unreachable_resolver_gives_no_key() -> None:
    lookup = auth.dns_txt_lookup(["127.0.0.1"], timeout=0.2)
    assert lookup(b"s1._domainkey.shop.example.") is None
