"""What a reader sees: the visible text and links of an HTML part, and links in plain text.

Built on the stdlib ``html.parser`` because it accepts any input, but fed in slices with a
deadline: on Python 3.11 some markup (hundreds of thousands of tags or stray ``<``) costs
seconds per half megabyte, and ``close()`` is quadratic on unclosed markup, so it is never
called; text left open at the end is read the way a browser would show it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from urllib.parse import SplitResult, unquote, urlsplit

MAX_HREF_CHARS = 2_000
FORM_TEXT = "(form)"

_SLICE = 8_192
# Unread markup this long is a construct that never closes; reading the rest in one feed is
# linear, whereas feeding more slices would rescan it each time.
_OPEN_CONSTRUCT = 65_536
# Elements whose content a mail client never shows; <head> also ends where <body> starts.
_HIDDEN = frozenset({"head", "script", "style", "title", "template"})
_LINE_BREAK = frozenset(
    {"br", "div", "tr", "li", "hr", "dt", "dd", "section", "article", "header", "footer"}
)
_PARAGRAPH = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "blockquote", "pre"}
)
_CELL = frozenset({"td", "th"})
# Invisible characters phishers put inside words to defeat keyword matching.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\xad"))
_BLANK_LINES = re.compile(r"\n{3,}")
_WHITESPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_BARE_URL = re.compile(r"(?<![\w.@/-])(?:https?://|www\.)[^\s<>\"'`\x00-\x1f\x7f]+", re.IGNORECASE)
_AUTHORITY_END = re.compile(r"[/?#]")
_URL_TAIL = ".,;:!?)]}>'\"*"


@dataclass(frozen=True, slots=True)
class HtmlContent:
    """The visible text and the ``(href, visible text)`` pairs of one HTML document."""

    text: str
    anchors: tuple[tuple[str, str], ...]  # <a>/<area> targets, and <form action> as "(form)"
    complete: bool  # False when reading stopped early: the deadline or unreadable markup


class _Reader(HTMLParser):
    """Collects visible text and link targets while the stdlib parser tokenizes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.anchors: list[tuple[str, str]] = []
        self._hidden_by = ""
        self._anchor: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body" and self._hidden_by == "head":
            self._hidden_by = ""
        if self._hidden_by:
            return
        if tag in _HIDDEN:
            self._hidden_by = tag
            return
        self._layout(tag)
        values = {name: value or "" for name, value in attrs}
        if tag == "a":
            self.close_anchor()
            self._anchor = (values.get("href", ""), [])
        elif tag == "area":
            self._add_anchor(values.get("href", ""), values.get("alt", ""))
        elif tag == "form":
            self._add_anchor(values.get("action", ""), FORM_TEXT)
        elif tag == "img" and self._anchor is not None:
            self._anchor[1].append(values.get("alt", ""))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Browsers ignore the ``/`` of ``<a/>`` or ``<script/>``: the element stays open."""
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self._hidden_by:
            if tag == self._hidden_by:
                self._hidden_by = ""
            return
        self._layout(tag)
        if tag == "a":
            self.close_anchor()

    def handle_data(self, data: str) -> None:
        if self._hidden_by or not data:
            return
        self.pieces.append(_WHITESPACE.sub(" ", data))
        if self._anchor is not None:
            self._anchor[1].append(data)

    def close_anchor(self) -> None:
        """Record the open ``<a>``: a new ``<a>`` closes the previous one, as in browsers."""
        if self._anchor is not None:
            href, text = self._anchor
            self._anchor = None
            self._add_anchor(href, " ".join(text))

    def _add_anchor(self, href: str, text: str) -> None:
        href = href.strip()[:MAX_HREF_CHARS]
        if href and not href.startswith("#"):
            self.anchors.append((href, " ".join(text.split())[:MAX_HREF_CHARS]))

    def _layout(self, tag: str) -> None:
        if tag in _PARAGRAPH:
            self.pieces.append("\n\n")
        elif tag in _LINE_BREAK:
            self.pieces.append("\n")
        elif tag in _CELL:
            self.pieces.append(" ")


def read_html(source: str, *, deadline: float) -> HtmlContent:
    """Visible text (paragraph breaks kept) and link targets, read until ``deadline``."""
    reader = _Reader()
    complete = True
    try:
        for start in range(0, len(source), _SLICE):
            if time.monotonic() > deadline:
                complete = False
                break
            if len(reader.rawdata) > _OPEN_CONSTRUCT:
                reader.feed(source[start:])
                break
            reader.feed(source[start : start + _SLICE])
        _finish(reader)
    except Exception:  # html.parser raises AssertionError on some declarations
        complete = False
    reader.close_anchor()
    return HtmlContent(visible_text("".join(reader.pieces)), tuple(reader.anchors), complete)


def _finish(reader: _Reader) -> None:
    """Show trailing text the parser held back; markup left open at the end shows nothing."""
    rest = reader.rawdata
    if rest and not rest.startswith("<"):
        reader.handle_data(unescape(rest))


def visible_text(text: str) -> str:
    """One space between words, single line breaks, at most one blank line in a row."""
    lines = (" ".join(line.split()) for line in text.translate(_INVISIBLE).split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def bare_urls(text: str) -> Iterator[str]:
    """``http(s)://`` and ``www.`` URLs written in plain text, without trailing punctuation."""
    for match in _BARE_URL.finditer(text):
        url = match.group().rstrip(_URL_TAIL)[:MAX_HREF_CHARS]
        if url:
            yield url


def host_of(href: str) -> str:
    """The lower-case ASCII host a browser would contact; "" when there is none (mailto:)."""
    candidate = _CONTROL.sub("", href).replace("\\", "/")  # browsers do both
    if candidate[:4].lower() == "www.":
        candidate = "http://" + candidate
    try:
        host = _with_authority(urlsplit(candidate)).hostname or ""
    except ValueError:  # urllib refuses "[" outside an IPv6 host, e.g. "//[x]@bit.ly/"
        host = _authority_host(candidate)
    if "%" in host:
        host = unquote(host)
    return ascii_host(host)


def _with_authority(parts: SplitResult) -> SplitResult:
    """Browsers read ``http:evil.example`` and ``http:/evil.example`` as ``http://...``."""
    if parts.scheme in ("http", "https") and not parts.netloc:
        return urlsplit(f"{parts.scheme}://{parts.path.lstrip('/')}")
    return parts


def _authority_host(url: str) -> str:
    """The host the way a browser splits the authority: after the last "@", before a port."""
    authority = _AUTHORITY_END.split(url.partition("//")[2], maxsplit=1)[0]
    host = authority.rpartition("@")[2]
    if host.startswith("["):
        return host[1 : host.find("]")].lower() if "]" in host else ""
    return host.partition(":")[0].lower()


def ascii_host(host: str) -> str:
    """A host or mail domain in lower-case ASCII (punycode) form, label by label; as written
    (lower-cased) when it cannot be encoded. One recipe for the parser and the analysers."""
    host = host.strip().strip(".").lower()
    if host.isascii():
        return host
    try:
        return ".".join(
            label.encode("idna").decode("ascii") if label else "" for label in host.split(".")
        )
    except UnicodeError:
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host
