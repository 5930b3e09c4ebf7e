"""Hostile input: the parser returns a bounded ParsedMessage or raises MailError, nothing else.

Hypothesis feeds it arbitrary bytes and mutated multipart messages; the corpus holds
hand-made hostile messages, and the large ones are generated here from a short recipe.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeguard.domains.mail.message import MailError, ParsedMessage
from tradeguard.domains.mail.parse import LIMITS, Limits, parse_message

CORPUS = Path(__file__).parent / "corpus"
SMALL = Limits(
    max_depth=4,
    max_parts=12,
    max_headers=8,
    max_header_chars=200,
    max_text_chars=300,
    max_html_chars=300,
    max_links=5,
    max_attachments=3,
    max_attachment_bytes=64,
)
FUZZ = settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])


def _check(raw: bytes, limits: Limits = LIMITS) -> ParsedMessage | None:
    """The property every input must meet; returns the message for further checks."""
    try:
        msg = parse_message(raw, limits)
    except MailError as exc:
        _readable(exc)
        return None
    assert isinstance(msg, ParsedMessage)
    assert len(msg.headers) <= limits.max_headers
    assert all(len(value) <= limits.max_header_chars for _, value in msg.headers)
    assert len(msg.text) <= limits.max_text_chars
    assert len(msg.html) <= limits.max_html_chars
    assert len(msg.links) <= limits.max_links
    assert len(msg.attachments) <= limits.max_attachments
    assert all(len(a.data) <= limits.max_attachment_bytes for a in msg.attachments)
    assert msg.parts <= limits.max_parts
    assert msg.depth <= limits.max_depth
    assert len(msg.to) <= 100
    assert all("\n" not in d for d in msg.defects)
    assert msg.date is None or msg.date.tzinfo is not None
    return msg


def _readable(error: MailError) -> None:
    assert str(error)
    assert "\n" not in str(error)


@FUZZ
@given(st.binary(max_size=4_096))
def test_arbitrary_bytes(raw: bytes) -> None:
    _check(raw)
    _check(raw, SMALL)


@FUZZ
@given(st.binary(max_size=2_048))
def test_arbitrary_body_after_headers(body: bytes) -> None:
    _check(b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n" + body)


# --- structured mutations of a multipart message ------------------------------------------

_TEXT = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["", " ", "=?utf-8?b?w6k=?=", "=?x?q?=ZZ?=", "=?", "\udcff", "\x00"]
)
_HEADER_NAMES = st.sampled_from(
    ["From", "To", "Reply-To", "Return-Path", "Subject", "Date", "Message-ID", "Content-Type",
     "Content-Transfer-Encoding", "Content-Disposition", "X-Mailer", "From ", " Subject", ":"]
) | st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=12)  # fmt: skip
_ENCODINGS = st.sampled_from(
    ["base64", "quoted-printable", "7bit", "8bit", "binary", "x-uuencode", "bogus", ""]
)
_CHARSETS = st.sampled_from(
    ["utf-8", "latin-1", "x-nonsense", "utf-16", "punycode", "rot13", "utf-7", '"utf-8', ""]
)
_TYPES = st.sampled_from(
    ["text/plain", "text/html", "application/pdf", "image/png", "message/rfc822", "text/x-junk"]
)
_BOUNDARIES = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=72)


def _header_value(draw: Callable[..., object]) -> str:
    value = str(draw(_TEXT))
    if draw(st.integers(0, 9)) == 0:
        value *= int(str(draw(st.integers(100, 3_000))))  # a huge value now and then
    return value


@st.composite
def _leaf(draw: st.DrawFn) -> str:
    body = draw(st.sampled_from([
        "Hello https://x.example/a", '<a href="https://y.example">y</a><form action=//f.example>',
        base64.b64encode(b"\x00binary data\xff").decode(), "=E9t=C3=A9 =ZZ", "!!!*==",
        "<!--", "<![", "begin 644 a\n#86)C\n`\nend",
    ]))  # fmt: skip
    headers = [
        f"Content-Type: {draw(_TYPES)}; charset={draw(_CHARSETS)}; name={draw(_TEXT)}",
        f"Content-Transfer-Encoding: {draw(_ENCODINGS)}",
    ]
    if draw(st.booleans()):
        headers.append(f"Content-Disposition: attachment; filename*=utf-8''{draw(_TEXT)}")
    if draw(st.booleans()):
        body = "".join(draw(st.permutations(body)))
    return "\r\n".join(headers) + "\r\n\r\n" + body


def _multipart(children: list[str], boundary: str, subtype: str, close: bool) -> str:
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'
    parts = "".join(f"--{boundary}\r\n{child}\r\n" for child in children)
    return head + parts + (f"--{boundary}--\r\n" if close else "")


_TREES = st.recursive(
    _leaf(),
    lambda inner: st.builds(
        _multipart,
        st.lists(inner, max_size=4),
        _BOUNDARIES,
        st.sampled_from(["mixed", "alternative", "related", "digest"]),
        st.booleans(),
    ),
    max_leaves=12,
)


@st.composite
def _messages(draw: st.DrawFn) -> bytes:
    headers = [
        f"{draw(_HEADER_NAMES)}: {_header_value(draw)}" for _ in range(draw(st.integers(0, 6)))
    ]
    text = "\r\n".join(["From: Shop <a@b.example>", *headers, draw(_TREES)])
    raw = text.encode("utf-8", "surrogateescape")
    if draw(st.booleans()):
        raw = raw[: draw(st.integers(0, len(raw)))]
    if draw(st.booleans()):
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(max_size=40)) + raw[at:]
    return raw


@FUZZ
@given(_messages())
def test_mutated_multipart(raw: bytes) -> None:
    _check(raw)


@FUZZ
@given(_messages())
def test_mutated_multipart_small_limits(raw: bytes) -> None:
    _check(raw, SMALL)


# --- the corpus ----------------------------------------------------------------------------


def _nested_multipart(levels: int) -> bytes:
    head = "".join(
        f"Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n" for i in range(levels)
    )
    return ("From: a@b.example\n" + head + "\ndeepest").encode()


def _nested_messages(levels: int) -> bytes:
    return b"From: a@b.example\n" + b"Content-Type: message/rfc822\n\n" * levels + b"\nbody"


def _many_parts(count: int) -> bytes:
    part = "--p\nContent-Type: text/plain\n\nx https://many.example/\n"
    head = "From: a@b.example\nContent-Type: multipart/mixed; boundary=p\n\n"
    return f"{head}{part * count}--p--\n".encode()


RECIPES: dict[str, Callable[[], bytes]] = {
    "nested-multipart-5000": lambda: _nested_multipart(5_000),
    "nested-message-5000": lambda: _nested_messages(5_000),
    "parts-20000": lambda: _many_parts(20_000),
    "header-1mb": lambda: b"From: a@b.example\nSubject: " + b"A" * 1_000_000 + b"\n\nbody",
    "rfc2047-chain-10000": lambda: (
        b"From: a@b.example\nSubject: " + b"=?utf-8?b?w6k=?= " * 10_000 + b"\n\nbody"
    ),
    "headers-50000": lambda: b"From: a@b.example\n" + b"X-A: b\n" * 50_000 + b"\nbody",
    "addresses-20000": lambda: b"From: a@b.example\nTo: " + b"x@y.example, " * 20_000 + b"\n\n.",
    "html-unclosed-comments": lambda: (
        b"From: a@b.example\nContent-Type: text/html\n\n" + b"<!--" * 120_000
    ),
    "html-many-tags": lambda: b"From: a@b.example\nContent-Type: text/html\n\n" + b"<b>" * 150_000,
    "base64-4mb-garbage": lambda: (
        b"From: a@b.example\nContent-Type: application/x\nContent-Transfer-Encoding: base64\n\n"
        + b"\xff!A" * 1_400_000
    ),
}


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.iterdir()))
def test_corpus_file(name: str) -> None:
    assert _check((CORPUS / name).read_bytes()) is not None


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_corpus_recipe(name: str) -> None:
    assert _check(RECIPES[name]()) is not None


# The limit under test must be what stops the parser, not the deadline on a busy CI machine.
UNHURRIED = Limits(seconds=120.0)


def test_depth_bombs_are_cut_not_crashed() -> None:
    for raw in (_nested_multipart(5_000), _nested_messages(5_000)):
        msg = parse_message(raw, UNHURRIED)
        assert msg.depth == LIMITS.max_depth
        assert any("MIME nesting deeper than 20" in d for d in msg.defects)


def test_part_bomb_is_cut() -> None:
    msg = parse_message(_many_parts(20_000), UNHURRIED)
    assert msg.parts == LIMITS.max_parts
    assert len(msg.links) == 1


def test_long_header_and_word_chain_are_cut() -> None:
    msg = parse_message(RECIPES["header-1mb"](), UNHURRIED)
    assert len(msg.subject) == LIMITS.max_header_chars
    assert msg.text == "body"
    chain = parse_message(RECIPES["rfc2047-chain-10000"](), UNHURRIED)
    assert chain.subject.startswith("éééé")
    assert "header Subject cut at 20,000 characters" in chain.defects
