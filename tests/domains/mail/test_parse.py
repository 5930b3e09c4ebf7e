"""The parser: what it reads from well-formed mail, and how it bounds and reports the rest."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage

import pytest

from tradeguard.domains.mail.html_text import host_of, read_html
from tradeguard.domains.mail.message import Link, MailError
from tradeguard.domains.mail.parse import LIMITS, Limits, parse_message


def _email(text: str = "Hello.", **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = headers.pop("From", "Shop Owner <owner@shop.example>")
    msg["To"] = headers.pop("To", "buyer@customer.example")
    msg["Subject"] = headers.pop("Subject", "Order 1042")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(text)
    return msg


def _raw(*lines: str, body: str = "Hello.") -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("utf-8", "surrogateescape")


def _multipart(*parts: str, boundary: str = "b1", close: bool = True) -> bytes:
    head = f"From: a@b.example\r\nContent-Type: multipart/mixed; boundary={boundary}\r\n\r\n"
    body = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts)
    return (head + body + (f"--{boundary}--\r\n" if close else "")).encode("latin-1")


# --- headers and addresses ---------------------------------------------------------------


def test_reads_the_envelope_headers() -> None:
    raw = _raw(
        'From: "Shop Owner" <Owner@Shop.Example>',
        "To: a@x.example, B <b@y.example>",
        "Reply-To: Billing <billing@elsewhere.example>",
        "Return-Path: <Bounce@Mail.Example>",
        "Subject: Order 1042",
        "Message-ID: <abc@shop.example>",
        "Date: Fri, 20 Nov 2026 09:30:00 +0100",
    )
    msg = parse_message(raw)
    assert msg.sender.display_name == "Shop Owner"
    assert msg.sender.address == "owner@shop.example"
    assert msg.sender.domain == "shop.example"
    assert [a.address for a in msg.to] == ["a@x.example", "b@y.example"]
    assert msg.reply_to[0].display_name == "Billing"
    assert msg.return_path == "bounce@mail.example"
    assert msg.subject == "Order 1042"
    assert msg.message_id == "<abc@shop.example>"
    assert msg.date == datetime(2026, 11, 20, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    assert msg.header("SUBJECT") == ["Order 1042"]
    assert msg.defects == ()
    assert msg.size == len(raw)


def test_decodes_encoded_words_and_raw_utf8() -> None:
    raw = _raw(
        "From: =?utf-8?q?Bank=2C_Inc?= <a@bank.example>",
        "Subject: =?utf-8?b?0KHRh9GR0YI=?= =?utf-8?q?_=E2=84=96?= 12",
        "X-Note: caf\udcc3\udca9",
    )
    msg = parse_message(raw)
    assert msg.sender.display_name == "Bank, Inc"  # the decoded comma did not split it
    assert msg.sender.address == "a@bank.example"
    assert msg.subject == "Счёт № 12"
    assert msg.header("x-note") == ["café"]


def test_unfolds_headers() -> None:
    msg = parse_message(_raw("From: a@b.example", "Subject: one\r\n two\r\n\tthree"))
    assert msg.subject == "one two\tthree"


def test_damaged_encoded_word_is_kept_as_written() -> None:
    msg = parse_message(_raw("From: a@b.example", "Subject: =?utf-8?b?####?= and =?x-bad?q?a?="))
    assert "and" in msg.subject


def test_unknown_charset_in_encoded_word_reads_as_utf8() -> None:
    msg = parse_message(_raw("From: a@b.example", "Subject: =?x-nonsense?q?caf=C3=A9?="))
    assert msg.subject == "café"


def test_unicode_domain_becomes_punycode() -> None:
    msg = parse_message(_raw("From: Pay <Service@P\u0430ypal.example>"))  # a Cyrillic "a"
    assert msg.sender.address == "service@xn--pypal-4ve.example"


def test_invalid_unicode_domain_is_kept_as_written() -> None:
    label = "ä" * 70  # longer than a DNS label may be
    msg = parse_message(_raw(f"From: x@{label}.example"))
    assert msg.sender.address == f"x@{label}.example"


def test_sender_without_address_keeps_the_name() -> None:
    msg = parse_message(_raw("From: Bank Support"))
    assert msg.sender.display_name == "Bank Support"
    assert msg.sender.address == ""


@pytest.mark.parametrize(
    ("header", "name", "address"),
    [
        ("MS account team ,_<noreply@evil.example>", "MS account team ,_", "noreply@evil.example"),
        ('"PayPal", <service@evil.example>', "PayPal", "service@evil.example"),
        ('"PayPal <pp@paypal.com>" <x@evil.example>', "PayPal <pp@paypal.com>", "x@evil.example"),
        ("Name, Inc. <x@y.example>", "Name, Inc.", "x@y.example"),
        ('"Facebook" <>', "Facebook", ""),
        ("Amazon,(<service@amazon.example>)", "Amazon", "service@amazon.example"),
        ("x@y.example (Support)", "Support", "x@y.example"),
    ],
)  # fmt: skip
def test_display_name_tricks(header: str, name: str, address: str) -> None:
    sender = parse_message(_raw(f"From: {header}")).sender
    assert (sender.display_name, sender.address) == (name, address)


def test_only_the_first_address_headers_are_read() -> None:
    lines = [f"To: r{n}@x.example" for n in range(8)]
    parsed = parse_message(_raw("From: a@b.example", *lines))
    assert [a.address for a in parsed.to] == [f"r{n}@x.example" for n in range(5)]
    assert len(parsed.header("to")) == 8


def test_empty_group_gives_no_recipients() -> None:
    assert parse_message(_raw("From: a@b.example", "To: undisclosed-recipients:;")).to == ()


def test_adjacent_encoded_words_may_split_a_character() -> None:
    subject = "Subject: =?utf-8?q?caf=C3?= =?utf-8?q?=A9?= x =?iso-8859-1?q?a?=  =?utf-8?b?w6k=?=b"
    assert parse_message(_raw("From: a@b.example", subject)).subject == "café x aéb"


def test_missing_headers_give_empty_fields() -> None:
    msg = parse_message(_raw("X-Only: 1"))
    assert msg.sender.address == ""
    assert (msg.subject, msg.message_id, msg.return_path, msg.date) == ("", "", "", None)


def test_date_without_zone_is_utc_and_bad_date_is_none() -> None:
    naive = parse_message(_raw("From: a@b.example", "Date: Fri, 20 Nov 2026 09:30:00 -0000"))
    assert naive.date == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert parse_message(_raw("From: a@b.example", "Date: next tuesday")).date is None
    assert parse_message(_raw("From: a@b.example", "Date: 99 Foo 99999999999 99:99")).date is None


def test_empty_return_path() -> None:
    assert parse_message(_raw("From: a@b.example", "Return-Path: <>")).return_path == ""


# --- text and links ----------------------------------------------------------------------------


HTML = """<html><head><title>Secret title</title><style>p {color: red}</style></head>
<body><script>var hidden = 1;</script>
<p>Dear   customer,</p><p>Your account is <b>locked</b>.</p>
<a href="https://evil.example/login">Sign in to PayPal</a>
<a href="mailto:help@shop.example">Help</a>
<a href="#top">Top</a>
<a href="https://x.example/img"><img src="cid:1" alt="PayPal logo"></a>
<form action="https://collect.example/post"><input name="pw"></form>
<map><area href="https://area.example/" alt="Map"></map>
<a href="https://open.example/">never closed
</body></html>"""


def test_html_becomes_visible_text_and_links() -> None:
    msg = _email("plain part")
    msg.add_alternative(HTML, subtype="html")
    parsed = parse_message(msg.as_bytes())
    assert "Dear customer,\n\nYour account is locked." in parsed.text
    for hidden in ("Secret title", "color: red", "hidden = 1"):
        assert hidden not in parsed.text
    assert "<form action" in parsed.html
    links = {(link.href, link.text) for link in parsed.links}
    assert ("https://evil.example/login", "Sign in to PayPal") in links
    assert ("mailto:help@shop.example", "Help") in links
    assert ("https://x.example/img", "PayPal logo") in links
    assert ("https://collect.example/post", "(form)") in links
    assert ("https://area.example/", "Map") in links
    assert ("https://open.example/", "never closed") in links
    assert not any(href.startswith("#") for href, _ in links)
    hosts = {link.href: link.host for link in parsed.links}
    assert hosts["https://evil.example/login"] == "evil.example"
    assert hosts["mailto:help@shop.example"] == ""
    assert all(link.source == "html" for link in parsed.links)


def test_html_without_closing_head_still_shows_the_body() -> None:
    content = read_html("<head><style>x</style><body><p>visible</p>", deadline=1e12)
    assert content.text == "visible"
    assert content.complete


def test_html_entities_and_trailing_text() -> None:
    content = read_html("<p>Fish &amp; chips</p>tail &amp", deadline=1e12)
    assert content.text == "Fish & chips\n\ntail &"


def test_html_stops_at_the_deadline() -> None:
    content = read_html("<p>x</p>" * 10_000, deadline=0.0)
    assert not content.complete


def test_bare_urls_in_plain_text() -> None:
    text = (
        "Pay now: https://pay.example/x?a=1. Or visit www.Shop.example, "
        "(see http://docs.example/a) and https://pay.example/x?a=1 again; "
        "not me@www.mail.example"
    )
    parsed = parse_message(_email(text).as_bytes())
    assert [(link.href, link.host) for link in parsed.links] == [
        ("https://pay.example/x?a=1", "pay.example"),
        ("www.Shop.example", "www.shop.example"),
        ("http://docs.example/a", "docs.example"),
    ]
    assert all(link.source == "text" and link.text == "" for link in parsed.links)


@pytest.mark.parametrize(
    ("href", "host"),
    [
        ("https://Bücher.example/a", "xn--bcher-kva.example"),
        ("https://user:pw@Host.Example:8080/p", "host.example"),
        ("http://evil.example\\@good.example/", "evil.example"),
        ("http:evil.example/path", "evil.example"),
        ("https://%65vil.example/", "evil.example"),
        ("https://host.example./", "host.example"),
        ("  https://spaced.example  ", "spaced.example"),
        ("https://[::1/", ""),
        ("https://[::1]:8080/", "::1"),
        ("https://[id_15]@bit.example/x", "bit.example"),
        ("javascript:alert(1)", ""),
        ("", ""),
    ],
)
def test_link_hosts(href: str, host: str) -> None:
    assert host_of(href) == host


def test_links_are_deduplicated_by_href_and_text() -> None:
    html = '<a href="https://a.example">A</a>' * 3 + '<a href="https://a.example">B</a>'
    msg = _email("x")
    msg.add_alternative(html, subtype="html")
    links = parse_message(msg.as_bytes()).links
    assert [link.text for link in links] == ["A", "B"]
    assert links[0] == Link("https://a.example", "A", "a.example", "html")


# --- attachments and nesting ---------------------------------------------------------------


def test_attachments_with_encoded_file_names() -> None:
    rfc2231 = (
        "Content-Type: application/pdf\r\n"
        "Content-Disposition: attachment; filename*=utf-8''Rechnung%20M%C3%A4rz.pdf\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(b"%PDF-1.4 data").decode()
    )
    rfc2047 = 'Content-Type: application/zip; name="=?utf-8?b?0YHRh9C10YIuemlw?="\r\n\r\nPK'
    raw_utf8 = (  # 8-bit UTF-8 bytes in the header, as many mailers write them
        'Content-Type: text/html\r\nContent-Disposition: attachment; filename="f\xc3\xa9.html"'
        "\r\n\r\n<p>x</p>"
    )
    unnamed = "Content-Type: application/octet-stream\r\n\r\nbinary"
    inline_image = "Content-Type: image/png\r\n\r\npng"
    text = "Content-Type: text/plain\r\n\r\nSee attached."
    parsed = parse_message(_multipart(text, rfc2231, rfc2047, raw_utf8, unnamed, inline_image))
    names = [(a.filename, a.content_type) for a in parsed.attachments]
    assert names == [
        ("Rechnung März.pdf", "application/pdf"),
        ("счет.zip", "application/zip"),
        ("fé.html", "text/html"),
        ("", "application/octet-stream"),
    ]
    assert parsed.attachments[0].data == b"%PDF-1.4 data"
    assert parsed.attachments[0].size == len(b"%PDF-1.4 data")
    assert parsed.text == "See attached."  # an attached HTML file is not body text


def test_attachment_is_cut_but_its_size_is_whole() -> None:
    msg = _email("x")
    msg.add_attachment(b"A" * 5_000, maintype="application", subtype="octet-stream", filename="a")
    attachment = parse_message(msg.as_bytes(), Limits(max_attachment_bytes=1_000)).attachments[0]
    assert (attachment.size, len(attachment.data), attachment.truncated) == (5_000, 1_000, True)


def test_attached_message_is_read_and_listed() -> None:
    inner = _email("Inner text with https://inner.example/x", Subject="inner")
    outer = _email("Outer text")
    outer.add_attachment(inner)
    parsed = parse_message(outer.as_bytes())
    assert "Inner text" in parsed.text
    assert "Outer text" in parsed.text
    assert [link.host for link in parsed.links] == ["inner.example"]
    attached = parsed.attachments[0]
    assert (attached.filename, attached.content_type) == ("attached.eml", "message/rfc822")
    assert b"Subject: inner" in attached.data
    assert attached.size == len(attached.data)
    assert parsed.depth == 2
    assert parsed.parts == 4  # mixed, text, rfc822, the inner (single-part) message


def test_headers_only_multipart_children_are_counted() -> None:
    parsed = parse_message(_multipart("Content-Type: text/plain\r\n\r\none", "\r\ntwo"))
    assert parsed.text == "one\n\ntwo"
    assert (parsed.parts, parsed.depth) == (3, 1)


# --- damage ----------------------------------------------------------------------------------


def test_damaged_base64_is_decoded_as_far_as_it_goes() -> None:
    good = base64.b64encode(b"Hello there, friend").decode()
    part = f"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n{good}!!*X"
    parsed = parse_message(_multipart(part))
    assert parsed.text.startswith("Hello there, friend")
    assert "part 2: damaged base64" in parsed.defects


def test_concatenated_base64_runs_are_all_read() -> None:
    body = base64.b64encode(b"one").decode() + "=\r\n" + base64.b64encode(b"two!").decode()
    part = f"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n{body}"
    assert parse_message(_multipart(part)).text == "onetwo!"


def test_damaged_quoted_printable() -> None:
    part = (
        "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nA=3DB =ZZ"
    )
    parsed = parse_message(_multipart(part))
    assert parsed.text == "A=B =ZZ"
    assert "part 2: damaged quoted-printable" in parsed.defects


def test_unknown_charset_reads_as_utf8() -> None:
    raw = _raw("From: a@b.example", 'Content-Type: text/plain; charset="x-nonsense"', body="é")
    parsed = parse_message(raw)
    assert parsed.text == "é"
    assert "part 1: unknown charset 'x-nonsense', read as UTF-8" in parsed.defects


def test_declared_charset_is_used() -> None:
    raw = _raw("From: a@b.example", "Content-Type: text/plain; charset=koi8-r").replace(
        b"Hello.", "Привет".encode("koi8-r")
    )
    assert parse_message(raw).text == "Привет"


def test_codec_that_is_not_a_charset_is_refused() -> None:
    raw = _raw("From: a@b.example", "Content-Type: text/plain; charset=punycode", body="abc")
    assert "unknown charset 'punycode'" in parse_message(raw).defects[0]


def test_missing_closing_boundary_is_a_defect() -> None:
    parsed = parse_message(_multipart("Content-Type: text/plain\r\n\r\nbody", close=False))
    assert parsed.text == "body"
    assert "part 1: multipart closing boundary missing" in parsed.defects


def test_multipart_without_boundary_reads_as_text() -> None:
    raw = _raw("From: a@b.example", "Content-Type: multipart/mixed", body="see https://x.example")
    parsed = parse_message(raw)
    assert parsed.text == "see https://x.example"
    assert "part 1: multipart without a boundary, read as text" in parsed.defects


def test_unknown_transfer_encoding_is_read_as_is() -> None:
    part = "Content-Type: text/plain\r\nContent-Transfer-Encoding: hexa\r\n\r\nplain"
    parsed = parse_message(_multipart(part))
    assert parsed.text == "plain"
    assert "part 2: unknown transfer encoding 'hexa'" in parsed.defects


def test_leading_mbox_line_is_dropped() -> None:
    raw = b"From someone@example.com  Thu Aug 22 12:36:23 2002\n" + _raw("From: a@b.example")
    parsed = parse_message(raw)
    assert parsed.sender.address == "a@b.example"
    assert parsed.defects == ()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "the input is empty"),
        (b" \r\n\t", "the input is empty"),
        (b"mv 00001.7c53 00001.7c53\nmv 00002.9c40 00002.9c40\n", "does not start with header"),
        (b"\r\nFrom: a@b.example\r\n\r\nbody", "does not start with header"),
    ],
)
def test_not_a_message(raw: bytes, reason: str) -> None:
    with pytest.raises(MailError, match=rf"not an e-mail message: .*{reason}"):
        parse_message(raw)


# --- limits -------------------------------------------------------------------------------------


def test_default_limits() -> None:
    assert LIMITS.max_bytes == 25 * 1024 * 1024
    assert (LIMITS.max_depth, LIMITS.max_parts, LIMITS.seconds) == (20, 500, 2.0)


def test_over_max_bytes_is_refused() -> None:
    with pytest.raises(MailError, match=r"^message is 2\.5 MB, over the 2 MB limit$"):
        parse_message(_raw("From: a@b.example", body="x" * (5 * 512 * 1024)), Limits(2 * 2**20))
    with pytest.raises(MailError, match=r"^message is 2,000 bytes, over the 1,000 bytes limit$"):
        parse_message(b"From: a\r\n\r\n" + b"x" * 1_989, Limits(max_bytes=1_000))


def _nested(levels: int) -> bytes:
    head = "".join(
        f"Content-Type: multipart/mixed; boundary=n{i}\r\n\r\n--n{i}\r\n" for i in range(levels)
    )
    return ("From: a@b.example\r\n" + head + "\r\ndeep text").encode()


def test_max_depth() -> None:
    parsed = parse_message(_nested(10), Limits(max_depth=4))
    assert parsed.depth == 4
    assert "deep text" not in parsed.text
    assert any("MIME nesting deeper than 4" in d for d in parsed.defects)
    assert parse_message(_nested(10)).text == "deep text"


def test_max_parts() -> None:
    raw = _multipart(*[f"Content-Type: text/plain\r\n\r\npart {n}" for n in range(30)])
    parsed = parse_message(raw, Limits(max_parts=10))
    assert parsed.parts == 10
    assert "part 8" in parsed.text
    assert "part 9" not in parsed.text
    assert "more than 10 MIME parts; the rest skipped" in parsed.defects


def test_max_headers_and_header_chars() -> None:
    lines = ["From: a@b.example", "Subject: " + "s" * 500] + [f"X-{n}: v" for n in range(20)]
    parsed = parse_message(_raw(*lines), Limits(max_headers=5, max_header_chars=100))
    assert len(parsed.headers) == 5
    assert parsed.subject == "s" * 100
    assert "22 headers; kept the first 5" in parsed.defects
    assert "header Subject cut at 100 characters" in parsed.defects


def test_max_headers_in_a_part() -> None:
    part = "".join(f"X-{n}: v\r\n" for n in range(10)) + "Content-Type: text/html\r\n\r\n<b>x</b>"
    parsed = parse_message(_multipart(part), Limits(max_headers=5))
    assert parsed.text == "<b>x</b>"  # its Content-Type came too late to be read
    assert "part 2: more than 5 headers" in parsed.defects


def test_max_text_and_html_chars() -> None:
    msg = _email("t" * 300)
    msg.add_alternative("<p>" + "h" * 300 + "</p>", subtype="html")
    parsed = parse_message(msg.as_bytes(), Limits(max_text_chars=100, max_html_chars=50))
    assert len(parsed.text) <= 100
    assert len(parsed.html) == 50
    assert "text cut at 100 characters" in parsed.defects
    assert "HTML cut at 50 characters" in parsed.defects


def test_max_links() -> None:
    text = " ".join(f"https://h{n}.example/" for n in range(20))
    parsed = parse_message(_email(text).as_bytes(), Limits(max_links=5))
    assert len(parsed.links) == 5
    assert "more than 5 links; the rest not listed" in parsed.defects


def test_max_attachments() -> None:
    msg = _email("x")
    for n in range(5):
        msg.add_attachment(b"data", maintype="application", subtype="zip", filename=f"{n}.zip")
    parsed = parse_message(msg.as_bytes(), Limits(max_attachments=2))
    assert [a.filename for a in parsed.attachments] == ["0.zip", "1.zip"]
    assert "more than 2 attachments; the rest skipped" in parsed.defects


def test_deadline_stops_parsing() -> None:
    parsed = parse_message(_email("x").as_bytes(), Limits(seconds=0))
    assert "parsing stopped after 0 s" in parsed.defects


def test_defects_are_bounded() -> None:
    parts = [
        f"Content-Type: text/plain\r\nContent-Transfer-Encoding: x{n}\r\n\r\n." for n in range(150)
    ]
    defects = parse_message(_multipart(*parts)).defects
    assert len(defects) == 101
    assert defects[-1] == "50 more defects not listed"
