"""Links inside PDF attachments: the lure of choice when message links are scanned.

Most phishing PDFs in the evaluation corpus carry their link as a plain ``/URI (...)`` action;
some hide it in a Flate-compressed object stream. Both are read here from the bytes alone, with
bounds on streams, output and links: nothing is rendered, run or fetched.
"""

from __future__ import annotations

import re
import zlib

from tradeguard.domains.mail.html_text import host_of
from tradeguard.domains.mail.message import Attachment, Link

_URI = re.compile(rb"/URI\s*\(((?:[^()\\]|\\.){1,2000})\)")
_STREAM = re.compile(rb"stream\r?\n")
_END = b"endstream"
MAX_STREAMS = 200
MAX_INFLATED = 2_000_000  # bytes of output per stream
MAX_LINKS = 50


def _unescape(value: bytes) -> str:
    text = re.sub(rb"\\([()\\])", rb"\1", value)
    return text.decode("latin-1").strip()


def _inflated_streams(data: bytes) -> list[bytes]:
    out: list[bytes] = []
    for n, match in enumerate(_STREAM.finditer(data)):
        if n >= MAX_STREAMS:
            break
        end = data.find(_END, match.end())
        if end < 0:
            break
        try:
            out.append(zlib.decompressobj().decompress(data[match.end() : end], MAX_INFLATED))
        except zlib.error:
            continue  # not Flate, or damaged: the plain pass may still have found its links
    return out


def pdf_links(data: bytes) -> list[str]:
    """Every ``/URI`` target, plain or in compressed streams, first seen first, bounded."""
    if not data.startswith(b"%PDF"):
        return []
    found = [_unescape(v) for v in _URI.findall(data)]
    if len(found) < MAX_LINKS:
        for stream in _inflated_streams(data):
            found += [_unescape(v) for v in _URI.findall(stream)]
            if len(found) >= MAX_LINKS:
                break
    return list(dict.fromkeys(u for u in found if u))[:MAX_LINKS]


def attachment_links(attachments: tuple[Attachment, ...]) -> list[Link]:
    """The PDF attachments' links, as bare links: a PDF's link text is not read."""
    return [
        Link(href=href[:2000], text="", host=host_of(href), source="attachment")
        for attachment in attachments
        for href in pdf_links(attachment.data)
    ]
