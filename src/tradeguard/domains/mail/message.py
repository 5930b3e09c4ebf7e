"""What the parser hands the analysers: a bounded, already-decoded view of one message.

Every analyser (sender authentication, impersonation, links, attachments, content) reads a
:class:`ParsedMessage` and returns :class:`Finding` objects; none of them touches raw MIME, so
the size, depth and time bounds live in one place, the parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal


class MailError(ValueError):
    """A message cannot be read at all (not a message, over a hard limit); one readable line."""


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox: the display name as the recipient sees it and the lower-cased address."""

    display_name: str
    address: str  # "" when the header held no parseable address

    @property
    def domain(self) -> str:
        """The part after the last ``@``: lower-case, in ASCII (punycode) form where valid."""
        return self.address.rpartition("@")[2]


@dataclass(frozen=True, slots=True)
class Link:
    """A link the reader could follow: from an HTML ``<a href>`` or a bare URL in text."""

    href: str  # as written, at most 2,000 characters
    text: str  # the visible text of an HTML link; "" for a bare URL
    host: str  # lower-case host (ASCII / punycode form), "" when the URL has none
    source: Literal["html", "text", "attachment"]  # attachment: a PDF's link (pdf_links.py)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A part the reader would open as a file (``Content-Disposition`` or a file name)."""

    filename: str
    content_type: str  # as declared, lower-case
    size: int  # decoded size in bytes (the whole part, even when ``data`` was cut)
    data: bytes  # decoded content, cut at the parser's attachment limit
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """One message, decoded within the parser's limits; ``defects`` says what was cut or damaged."""

    headers: tuple[tuple[str, str], ...]  # (name, decoded value) in order, bounded
    sender: Address  # From
    reply_to: tuple[Address, ...] = ()
    return_path: str = ""  # the envelope sender's address, lower-case, "" if none
    to: tuple[Address, ...] = ()
    subject: str = ""
    date: datetime | None = None  # from the Date header, timezone-aware, None if absent/bad
    message_id: str = ""
    text: str = ""  # every text part, HTML turned into text, joined; bounded
    html: str = ""  # the HTML parts' source, joined; bounded
    links: tuple[Link, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    parts: int = 0
    depth: int = 0
    size: int = 0  # bytes of the raw message
    defects: tuple[str, ...] = ()

    def header(self, name: str) -> list[str]:
        """Every value of a header, case-insensitively, in message order."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing an analyser noticed, with what a person needs to check it.

    ``code`` is what rules test (``lookalike_domain``); ``detail`` is one sentence a
    non-expert understands ("amaz0n-seller.com looks like amazon.com"); ``evidence`` holds the
    exact strings the console highlights (the domain, the link, the file name).
    """

    code: str
    detail: str
    evidence: dict[str, str] = field(default_factory=dict)
