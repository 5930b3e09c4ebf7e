"""Links hidden in PDF attachments reach the link checks."""

from __future__ import annotations

import zlib

from tradeguard.domains.mail.message import Attachment
from tradeguard.domains.mail.pdf_links import MAX_LINKS, attachment_links, pdf_links


def pdf(*objects: bytes) -> bytes:
    return b"%PDF-1.7\n" + b"\n".join(objects) + b"\n%%EOF\n"


def test_plain_uri_actions_with_escapes() -> None:
    data = pdf(b"1 0 obj <</A <</S /URI /URI (https://bit.ly/a\\(b\\))>>>> endobj")
    assert pdf_links(data) == ["https://bit.ly/a(b)"]


def test_uri_in_a_compressed_stream() -> None:
    stream = zlib.compress(b"<</Type/Annot/A<</URI(http://192.0.2.7/login)>>>>")
    data = pdf(b"2 0 obj <</Filter/FlateDecode>> stream\n" + stream + b"\nendstream endobj")
    assert pdf_links(data) == ["http://192.0.2.7/login"]


def test_not_a_pdf_and_damaged_streams_give_nothing() -> None:
    assert pdf_links(b"PK\x03\x04 /URI (http://x.example)") == []
    assert pdf_links(pdf(b"stream\nnot zlib at all\nendstream", b"stream\nno end")) == []


def test_bounded_and_deduplicated() -> None:
    many = b"".join(b"/URI (http://h%d.example/)" % n for n in range(500))
    assert len(pdf_links(pdf(many, many))) == MAX_LINKS


def test_links_carry_their_host_and_source() -> None:
    data = pdf(b"/URI (https://xn--pypal-4ve.com/verify)")
    links = attachment_links((Attachment("invoice.pdf", "application/pdf", len(data), data),))
    assert [(link.host, link.source, link.text) for link in links] == [
        ("xn--pypal-4ve.com", "attachment", "")
    ]
