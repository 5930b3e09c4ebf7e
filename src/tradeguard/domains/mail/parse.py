"""Raw RFC 5322 bytes to a :class:`ParsedMessage`, within hard bounds on size, depth and time.

This runs in an API worker on messages written by attackers, so it never raises anything
but :class:`MailError` and never runs long: the stdlib parser is fed in small slices with a
deadline and a nesting check between them, the MIME tree is walked without recursion, and
every output (headers, text, links, attachments, defects) is cut at a limit, with a defect
saying so. Damaged input is read as far as it goes rather than refused.
"""

from __future__ import annotations

import binascii
import codecs
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.errors import MessageDefect
from email.feedparser import BytesFeedParser
from email.generator import BytesGenerator
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import Literal

from tradeguard.domains.mail.html_text import (
    ascii_host,
    bare_urls,
    host_of,
    read_html,
)
from tradeguard.domains.mail.message import Address, Attachment, Link, MailError, ParsedMessage

MB = 1024 * 1024
MAX_ADDRESSES = 100
MAX_ADDRESS_HEADERS = 5
MAX_DEFECTS = 100
MAX_FILENAME_CHARS = 1_000
# Small slices keep the nesting check fine-grained: even the tersest nesting costs ~30
# bytes a level, so one slice can add at most ~140 levels, well inside the recursion limit.
_SLICE = 4_096
_ATTACHED_MESSAGES = frozenset({"message/rfc822", "message/global"})
# Codecs that are not charsets, or whose decoders are slow on hostile input.
_NOT_CHARSETS = frozenset({"idna", "punycode", "raw_unicode_escape", "unicode_escape"})
_CHARSET_ALIASES = {
    "": "utf-8",
    "us-ascii": "utf-8",  # 8-bit text labelled ASCII is almost always UTF-8
    "ascii": "utf-8",
    "gb2312": "gb18030",
    "iso-8859-8-i": "iso-8859-8",
    "ks_c_5601-1987": "cp949",
}
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_LINE_BREAKS = re.compile(r"[\r\n]+")
_NEWLINES = re.compile(r"\r\n?")
_CHARSET_NAME = re.compile(r"[\w.:+-]+")
_SURROGATE = re.compile("[\udc80-\udcff]")
_ANGLE_ADDRESS = re.compile(r"<([^<>\s@]+@[^<>\s@]+)>")
_ENCODED_WORD = re.compile(r"=\?([^?]*)\?([bBqQ])\?([^?]*)\?=")
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_B64_SPACE = b" \t\r\n\f\v"
_B64_JUNK = bytes(b for b in range(256) if b not in _B64_ALPHABET)
_QP_DAMAGE = re.compile(rb"=(?![0-9A-Fa-f]{2}|[ \t]*\r?\n|[ \t]*\Z)")
_DEFECT_TEXT = {
    "StartBoundaryNotFoundDefect": "multipart start boundary not found",
    "CloseBoundaryNotFoundDefect": "multipart closing boundary missing",
    "FirstHeaderLineIsContinuationDefect": "first header line is a continuation",
    "MisplacedEnvelopeHeaderDefect": "mbox 'From ' line inside the headers",
    "MissingHeaderBodySeparatorDefect": "a line without a colon ended the headers",
    "MultipartInvariantViolationDefect": "declared multipart but holds no parts",
    "NoBoundaryInMultipartDefect": "multipart without a boundary, read as text",
    "InvalidMultipartContentTransferEncodingDefect": "multipart with a transfer encoding",
}


@dataclass(frozen=True)
class Limits:
    """Hard bounds on one message; a worker's memory and time depend on nothing else."""

    max_bytes: int = 25 * MB
    max_depth: int = 20
    max_parts: int = 500
    max_headers: int = 1_000
    max_header_chars: int = 20_000
    max_text_chars: int = 200_000
    max_html_chars: int = 500_000
    max_links: int = 500
    max_attachments: int = 100
    max_attachment_bytes: int = 10 * MB
    seconds: float = 2.0

    def oversize(self, size: int) -> str | None:
        """The one-line refusal for a message of ``size`` bytes, None when it fits."""
        if size <= self.max_bytes:
            return None
        return f"message is {_size_text(size)}, over the {_size_text(self.max_bytes)} limit"


LIMITS = Limits()


def parse_message(raw: bytes, limits: Limits = LIMITS) -> ParsedMessage:
    """Read one message; damaged input gives defects, only unreadable input a MailError."""
    try:
        return _parse(raw, limits)
    except MailError:
        raise
    except Exception as exc:  # the last line of defence: no input may crash the worker
        raise MailError(f"message could not be read ({type(exc).__name__})") from exc


def _parse(raw: bytes, limits: Limits) -> ParsedMessage:
    if problem := limits.oversize(len(raw)):
        raise MailError(problem)
    if not raw.strip():
        raise MailError("not an e-mail message: the input is empty")
    notes = _Notes()
    clock = _Clock(time.monotonic() + limits.seconds, limits.seconds, notes)
    root = _read_mime(_without_envelope_line(raw), limits, clock, notes)
    fields = list(root.raw_items())
    if not fields:
        raise MailError("not an e-mail message: it does not start with header lines")
    body = _Body(limits, clock, notes)
    body.walk(root)
    return ParsedMessage(
        headers=_headers(fields, limits, clock, notes),
        sender=next(iter(_addresses(fields, "from", limits, clock, 1)), Address("", "")),
        reply_to=_addresses(fields, "reply-to", limits, clock, MAX_ADDRESSES),
        return_path=_return_path(fields, limits),
        to=_recipients(fields, limits, clock, notes),
        subject=_first(fields, "subject", limits),
        date=_date(_first(fields, "date", limits)),
        message_id=_first(fields, "message-id", limits),
        text=body.text.joined(),
        html=body.html.joined(),
        links=tuple(body.links.values()),
        attachments=tuple(body.attachments),
        parts=body.parts,
        depth=body.depth,
        size=len(raw),
        defects=notes.done(),
    )


# --- bookkeeping -------------------------------------------------------------------------


class _Notes:
    """The defects list: readable, de-duplicated, and itself bounded."""

    def __init__(self) -> None:
        self._seen: dict[str, None] = {}
        self._dropped = 0

    def add(self, note: str) -> None:
        if note in self._seen:
            return
        if len(self._seen) < MAX_DEFECTS:
            self._seen[note] = None
        else:
            self._dropped += 1

    def done(self) -> tuple[str, ...]:
        more = (f"{self._dropped:,} more defects not listed",) if self._dropped else ()
        return (*self._seen, *more)


class _Clock:
    """The per-message deadline, checked in every loop; the first overrun is noted once."""

    def __init__(self, deadline: float, seconds: float, notes: _Notes) -> None:
        self.deadline = deadline
        self._seconds = seconds
        self._notes = notes

    def expired(self) -> bool:
        if time.monotonic() <= self.deadline:
            return False
        self._notes.add(f"parsing stopped after {self._seconds:g} s")
        return True


class _Joined:
    """Pieces of text joined by blank lines, cut at ``limit`` characters."""

    def __init__(self, limit: int, what: str, notes: _Notes) -> None:
        self._limit, self._what, self._notes = limit, what, notes
        self._pieces: list[str] = []
        self._used = 0

    def room(self) -> int:
        return max(self._limit - self._used, 0)

    def add(self, piece: str) -> None:
        if not piece:
            return
        if len(piece) > self.room():
            self._notes.add(f"{self._what} cut at {self._limit:,} characters")
            piece = piece[: self.room()]
        self._pieces.append(piece)
        self._used += len(piece) + 2

    def joined(self) -> str:
        return "\n\n".join(p for p in self._pieces if p)


# --- MIME structure --------------------------------------------------------------------------


def _without_envelope_line(raw: bytes) -> bytes:
    """Drop the mbox ``From `` line that starts SpamAssassin and mbox-extracted files."""
    if raw.startswith(b"From "):
        return raw.partition(b"\n")[2]
    return raw


def _read_mime(data: bytes, limits: Limits, clock: _Clock, notes: _Notes) -> Message:
    """The stdlib parser fed slice by slice, stopping at the deadline or too deep a nesting."""
    parser = BytesFeedParser(policy=policy.compat32)
    for start in range(0, len(data), _SLICE):
        if start and clock.expired():  # the first slice always, for the headers
            break
        if _nesting(parser) > limits.max_depth + 1:
            notes.add(f"MIME nesting deeper than {limits.max_depth}; the rest was not read")
            break
        try:
            parser.feed(data[start : start + _SLICE])
        except Exception:  # the parser's generators are recursive: depth bombs end here
            notes.add(f"MIME structure unreadable after byte {start:,}; the rest was not read")
            return _read_prefix(data[:start])
    try:
        return parser.close()
    except Exception:
        notes.add("MIME structure unreadable at the end")
        return _read_prefix(data[: len(data) - _SLICE])


def _nesting(parser: BytesFeedParser) -> int:
    """How many parts the parser has open; the stdlib keeps it private, so read it defensively."""
    stack = getattr(parser, "_msgstack", ())
    return len(stack) if isinstance(stack, list) else 0


def _read_prefix(data: bytes) -> Message:
    parser = BytesFeedParser(policy=policy.compat32)
    parser.feed(data)
    return parser.close()


class _Body:
    """Walks the MIME tree with an explicit stack, collecting text, HTML, links and files."""

    def __init__(self, limits: Limits, clock: _Clock, notes: _Notes) -> None:
        self.limits, self.clock, self.notes = limits, clock, notes
        self.text = _Joined(limits.max_text_chars, "text", notes)
        self.html = _Joined(limits.max_html_chars, "HTML", notes)
        self.links: dict[tuple[str, str], Link] = {}
        self.attachments: list[Attachment] = []
        self.parts = 0
        self.depth = 0

    def walk(self, root: Message) -> None:
        stack: list[tuple[Message, int]] = [(root, 0)]
        while stack and not (self.parts and self.clock.expired()):
            part, depth = stack.pop()
            if self.parts >= self.limits.max_parts:
                self.notes.add(f"more than {self.limits.max_parts} MIME parts; the rest skipped")
                return
            if depth > self.limits.max_depth:
                self.notes.add(f"MIME nesting deeper than {self.limits.max_depth}; parts skipped")
                continue
            self.parts += 1
            self.depth = max(self.depth, depth)
            children = self._visit(part, self.parts)
            stack.extend((child, depth + 1) for child in reversed(children))

    def _visit(self, part: Message, number: int) -> list[Message]:
        """Read one part; returns its sub-parts (a multipart's, or an attached message)."""
        for defect in part.defects:
            self.notes.add(f"part {number}: {_defect_text(defect)}")
        mime = _MimeView(part, self.limits, number, self.notes)
        payload = part.get_payload()
        if isinstance(payload, list):
            children = [child for child in payload if isinstance(child, Message)]
            if mime.content_type in _ATTACHED_MESSAGES and children:
                self._attach_message(mime, children[0])
            return children
        if mime.is_attachment():
            self._attach(mime, _decoded(part, mime, number, self.notes))
        elif mime.content_type == "text/html":
            self._read_html(_decoded(part, mime, number, self.notes), mime, number)
        elif mime.main_type in ("text", "multipart"):  # a multipart without boundary is text
            self._read_text(_decoded(part, mime, number, self.notes), mime, number)
        return []

    def _read_text(self, data: bytes, mime: _MimeView, number: int) -> None:
        text = _text(data, mime.charset, self.limits.max_text_chars, number, self.notes)
        text = _NEWLINES.sub("\n", text).strip()
        self.text.add(text)
        for url in bare_urls(text):
            self._link(url, "", "text")

    def _read_html(self, data: bytes, mime: _MimeView, number: int) -> None:
        source = _text(data, mime.charset, self.limits.max_html_chars, number, self.notes)
        self.html.add(source)
        content = read_html(source, deadline=self.clock.deadline)
        if not content.complete and not self.clock.expired():
            self.notes.add(f"part {number}: HTML markup unreadable past some point")
        self.text.add(content.text)
        for href, label in content.anchors:
            self._link(href, label, "html")

    def _link(self, href: str, text: str, source: Literal["html", "text"]) -> None:
        if (href, text) in self.links:
            return
        if len(self.links) >= self.limits.max_links:
            self.notes.add(f"more than {self.limits.max_links} links; the rest not listed")
            return
        self.links[href, text] = Link(href=href, text=text, host=host_of(href), source=source)

    def _attach(
        self, mime: _MimeView, data: bytes, *, size: int | None = None, filename: str = ""
    ) -> None:
        """``size`` is the whole file's when ``data`` arrives already cut."""
        limit = self.limits.max_attachment_bytes
        size = len(data) if size is None else size
        if self._attachments_full():
            return
        self.attachments.append(
            Attachment(
                filename=mime.filename or filename,
                content_type=mime.content_type,
                size=size,
                data=data[:limit],
                truncated=size > limit,
            )
        )

    def _attachments_full(self) -> bool:
        if len(self.attachments) < self.limits.max_attachments:
            return False
        self.notes.add(f"more than {self.limits.max_attachments} attachments; the rest skipped")
        return True

    def _attach_message(self, mime: _MimeView, attached: Message) -> None:
        """An attached message is a file to the reader (and its parts are read as well)."""
        if self._attachments_full():
            return
        sink = _BoundedSink(self.limits.max_attachment_bytes, self.clock)
        try:
            BytesGenerator(sink, mangle_from_=False).flatten(attached)
        except _SinkFull:
            pass
        except Exception:  # regenerating damaged headers can fail; the parts are still read
            self.notes.add("an attached message could not be copied out")
        self._attach(mime, sink.data(), size=sink.size, filename="attached.eml")


class _SinkFull(Exception):
    """Raised by the sink to stop copying an attached message at the deadline."""


class _BoundedSink:
    """A write-only file that keeps the first ``limit`` bytes and counts the rest."""

    def __init__(self, limit: int, clock: _Clock) -> None:
        self._limit, self._clock = limit, clock
        self._chunks: list[bytes] = []
        self._kept = 0
        self.size = 0

    def write(self, chunk: bytes) -> int:
        if self._clock.expired():
            raise _SinkFull
        self.size += len(chunk)
        if self._kept < self._limit:
            kept = chunk[: self._limit - self._kept]
            self._chunks.append(kept)
            self._kept += len(kept)
        return len(chunk)

    def data(self) -> bytes:
        return b"".join(self._chunks)


def _defect_text(defect: MessageDefect) -> str:
    name = type(defect).__name__
    return _DEFECT_TEXT.get(name, name.removesuffix("Defect"))


class _MimeView:
    """A part's MIME headers with raw 8-bit values read as UTF-8, from its first headers only.

    compat32 turns 8-bit header values into ``Header`` objects that print ``?`` for every
    byte, which would lose UTF-8 file names; a clean copy of the three headers avoids that.
    """

    def __init__(self, part: Message, limits: Limits, number: int, notes: _Notes) -> None:
        fields = part.raw_items()
        view = Message()
        view.set_default_type(part.get_default_type())
        for count, (name, value) in enumerate(fields, start=1):
            if count > limits.max_headers:
                notes.add(f"part {number}: more than {limits.max_headers:,} headers")
                break
            if name.lower() in ("content-type", "content-disposition", "content-transfer-encoding"):
                view[name] = _unicode(_cut_value(value, limits))
        self.content_type = view.get_content_type()
        self.main_type = view.get_content_maintype()
        self.encoding = str(view.get("content-transfer-encoding", "")).strip().lower()
        self.disposition = view.get_content_disposition() or ""
        self.filename = _filename(view)
        self.charset = _charset(view)

    def is_attachment(self) -> bool:
        """A file to the reader; inline images without a name are layout, not files."""
        if self.disposition == "attachment" or self.filename:
            return True
        return self.main_type not in ("text", "multipart", "image")


def _filename(view: Message) -> str:
    try:
        name = view.get_filename() or ""
    except Exception:  # a damaged RFC 2231 parameter
        return ""
    return _decode_words(str(name))[:MAX_FILENAME_CHARS]


def _charset(view: Message) -> str:
    try:
        return str(view.get_content_charset() or "")
    except Exception:
        return ""


# --- content decoding ------------------------------------------------------------------------


def _decoded(part: Message, mime: _MimeView, number: int, notes: _Notes) -> bytes:
    """The part's content with its transfer encoding undone, as far as it decodes."""
    data = _payload_bytes(part)
    if mime.encoding == "base64":
        data, damaged = _from_base64(data)
    elif mime.encoding == "quoted-printable":
        damaged = _QP_DAMAGE.search(data) is not None
        data = binascii.a2b_qp(data)
    elif mime.encoding in ("x-uuencode", "uuencode", "uue", "x-uue"):
        decoded = part.get_payload(decode=True)
        damaged = not isinstance(decoded, bytes) or decoded == data
        data = decoded if isinstance(decoded, bytes) else data
    else:
        damaged = False
        if mime.encoding not in ("", "7bit", "8bit", "binary"):
            notes.add(f"part {number}: unknown transfer encoding {mime.encoding[:40]!r}")
    if damaged:
        notes.add(f"part {number}: damaged {mime.encoding}")
    return data


def _payload_bytes(part: Message) -> bytes:
    """The content as stored; ``get_payload()`` would re-decode 8-bit bytes in the declared
    charset first, losing them when that charset is unknown."""
    payload = getattr(part, "_payload", None)
    if isinstance(payload, bytes):
        return payload
    if not isinstance(payload, str):
        return b""
    try:  # the parser keeps 8-bit bytes as lone surrogates; this gives them back
        return payload.encode("utf-8", "surrogateescape")
    except UnicodeError:
        return payload.encode("utf-8", "replace")


def _from_base64(data: bytes) -> tuple[bytes, bool]:
    """Decode what can be decoded: junk characters dropped, padding repaired, and runs
    separated by padding (concatenated base64 files, seen in the wild) read one by one."""
    compact = data.translate(None, _B64_SPACE)
    cleaned = compact.translate(None, _B64_JUNK)
    damaged = len(cleaned) != len(compact)
    decoded: list[bytes] = []
    for run in cleaned.split(b"="):
        if len(run) % 4 == 1:
            damaged = True
            run = run[:-1]
        decoded.append(binascii.a2b_base64(run + b"=" * (-len(run) % 4)))
    return b"".join(decoded), damaged


def _text(data: bytes, charset: str, limit: int, number: int, notes: _Notes) -> str:
    """Bytes to text in the declared charset, UTF-8 when it is unknown; one character over
    ``limit`` at most, so the caller sees that it was cut."""
    wanted = charset.strip().lower()
    name = _CHARSET_NAME.match(wanted)  # 'utf-8" <div ...': real mailers' damage
    token = name[0] if name else wanted
    codec = _codec(_CHARSET_ALIASES.get(token, token))
    if codec is None:
        notes.add(f"part {number}: unknown charset {wanted[:40]!r}, read as UTF-8")
        codec = "utf-8"
    try:
        text = data[: limit * 4].decode(codec, "replace")
    except Exception:  # a codec that rejects "replace" or this input
        text = data[: limit * 4].decode("utf-8", "replace")
    return text[: limit + 1]


def _codec(name: str) -> str | None:
    try:
        info = codecs.lookup(name)
        b"a".decode(info.name)  # refuses codecs that are not text encodings (rot13, zlib)
    except (LookupError, ValueError):
        return None
    return None if info.name in _NOT_CHARSETS else info.name


# --- headers -----------------------------------------------------------------------------------

_Fields = Sequence[tuple[str, object]]


def _unfold(value: str) -> str:
    if "\n" not in value and "\r" not in value:  # the common case, and 100x faster
        return value
    return _LINE_BREAKS.sub(" ", _FOLD.sub("", value))


def _unicode(value: str) -> str:
    """Raw 8-bit header bytes (held as surrogates by the parser) read as UTF-8."""
    if not _SURROGATE.search(value):
        return value
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeError:
        return _SURROGATE.sub("\ufffd", value)


def _decode_words(value: str) -> str:
    """RFC 2047 encoded words decoded leniently, word by word.

    ``email.header.decode_header`` gives up on the whole header at one damaged word, and
    ``make_header`` at an unknown charset; here a damaged word decodes as far as it goes.
    Adjacent words in one charset are joined before decoding, since mailers split UTF-8
    characters across them, and the whitespace between encoded words is dropped.
    """
    if "=?" not in value:
        return value
    out: list[str] = []
    run, charset, pos = b"", "", 0
    for match in _ENCODED_WORD.finditer(value):
        gap = value[pos : match.start()]
        word_charset = match[1].partition("*")[0].lower()  # RFC 2231 "charset*lang"
        if not (run and not gap.strip() and word_charset == charset):
            out.append(_charset_text(run, charset))
            run = b""
        if not (pos and not gap.strip()):
            out.append(gap)
        run += _word_bytes(match[2].lower(), match[3])
        charset, pos = word_charset, match.end()
    out.append(_charset_text(run, charset))
    out.append(value[pos:])
    return "".join(out)


def _word_bytes(kind: str, text: str) -> bytes:
    data = text.encode("utf-8", "replace")
    if kind == "b":
        return _from_base64(data)[0]
    return binascii.a2b_qp(data, header=True)


def _charset_text(data: bytes, charset: str) -> str:
    if not data:
        return ""
    codec = _codec(_CHARSET_ALIASES.get(charset, charset)) or "utf-8"
    try:
        return data.decode(codec, "replace")
    except Exception:
        return data.decode("utf-8", "replace")


def _header_text(value: object, limits: Limits) -> str:
    """A header value as the reader sees it: unfolded, cut, 8-bit and encoded words decoded."""
    return _decode_words(_unicode(_cut_value(value, limits))).strip()


def _cut_value(value: object, limits: Limits) -> str:
    """Unfolded and cut; folding adds at most a character per line, hence the double margin."""
    return _unfold(str(value)[: 2 * limits.max_header_chars])[: limits.max_header_chars]


def _headers(
    fields: _Fields, limits: Limits, clock: _Clock, notes: _Notes
) -> tuple[tuple[str, str], ...]:
    if len(fields) > limits.max_headers:
        notes.add(f"{len(fields):,} headers; kept the first {limits.max_headers:,}")
    out: list[tuple[str, str]] = []
    for name, value in fields[: limits.max_headers]:
        if clock.expired():
            break
        if len(_unfold(str(value)[: 2 * limits.max_header_chars + 1])) > limits.max_header_chars:
            notes.add(f"header {_unicode(name)[:60]} cut at {limits.max_header_chars:,} characters")
        out.append((_unicode(name).strip(), _header_text(value, limits)))
    return tuple(out)


def _values(fields: _Fields, name: str) -> list[object]:
    return [value for key, value in fields if key.lower() == name]


def _first(fields: _Fields, name: str, limits: Limits) -> str:
    values = _values(fields, name)
    return _header_text(values[0], limits) if values else ""


def _addresses(
    fields: _Fields, name: str, limits: Limits, clock: _Clock, most: int
) -> tuple[Address, ...]:
    """Addresses parsed before encoded words are decoded, so a decoded comma cannot split one.

    The stdlib address parser costs ~5 µs a character, so only the first few headers of a
    name are read: a thousand 20,000-character To headers would otherwise take a minute.
    """
    out: list[Address] = []
    for value in _values(fields, name)[:MAX_ADDRESS_HEADERS]:
        if clock.expired():
            break
        for display, address in _mailboxes(_unicode(_cut_value(value, limits))):
            if len(out) >= most:
                return tuple(out)
            out.append(_address(display, address))
    return tuple(out)


def _mailboxes(text: str) -> list[tuple[str, str]]:
    """``(display name, address)`` pairs as a reader would see them.

    Phishers put an unquoted comma in the name (``Microsoft account team ,_<a@evil>``), which
    splits it off as a mailbox without address; such pieces are taken back into the name of
    the mailbox that follows. A header with no address at all gives its name alone.
    """
    if not text.strip():
        return []
    pairs = getaddresses([text])
    if not any("@" in address for _, address in pairs):
        if shown := _ANGLE_ADDRESS.search(text):  # "Amazon,(<a@b>)": an address in a comment
            return [(text[: shown.start()].replace('"', "").strip(" \t,("), shown[1])]
        names = [display for display, _ in pairs if display]
        if ":" in text and not names:
            return []  # an empty group: "undisclosed-recipients:;"
        return [(name, "") for name in names] or [(text, "")]
    out: list[tuple[str, str]] = []
    orphaned = False
    for display, address in pairs:
        if "@" not in address:
            orphaned = orphaned or bool(display or address)
            continue
        name = (_name_before(text, address) or display) if orphaned else display
        out.append((name, address))
        orphaned = False
    return out


def _name_before(text: str, address: str) -> str:
    """The raw text between the previous mailbox and ``<address>``, quotes and commas trimmed."""
    at = text.find("<" + address)
    if at < 0:
        return ""
    return text[text.rfind(">", 0, at) + 1 : at].replace('"', "").strip(" \t,")


def _address(display: str, address: str) -> Address:
    name = _decode_words(display).strip().strip('"').strip()
    if "@" not in address:
        return Address(display_name=name, address="")
    return Address(display_name=name, address=normalize_address(address))


def normalize_address(address: str) -> str:
    """Lower-case, with the domain in ASCII (punycode) form where it is a valid IDN."""
    local, _, domain = address.strip().lower().rpartition("@")
    return f"{local}@{ascii_host(domain)}"


def _recipients(
    fields: _Fields, limits: Limits, clock: _Clock, notes: _Notes
) -> tuple[Address, ...]:
    found = _addresses(fields, "to", limits, clock, MAX_ADDRESSES + 1)
    if len(found) > MAX_ADDRESSES:
        notes.add(f"more than {MAX_ADDRESSES} To addresses; kept the first {MAX_ADDRESSES}")
    return found[:MAX_ADDRESSES]


def _return_path(fields: _Fields, limits: Limits) -> str:
    values = _values(fields, "return-path")
    if not values:
        return ""
    _, address = parseaddr(_unicode(_cut_value(values[0], limits)))
    return normalize_address(address) if "@" in address else ""


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except Exception:  # TypeError, ValueError, OverflowError on hostile dates
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _size_text(size: int) -> str:
    if size < MB:
        return f"{size:,} bytes"
    return f"{size / MB:.1f}".removesuffix(".0") + " MB"
