"""Have I Been Pwned's "Pwned Passwords", read offline: how often a password was seen in breaches.

The HIBP downloader writes either a directory of range files named by the 5-hex SHA-1 prefix
(``00000.txt`` or ``00000``, lines ``SUFFIX35HEX:COUNT``) or one file sorted by hash (lines
``FULL40HEXSHA1:COUNT``, tens of gigabytes). Both are read without loading them: the one
range file a hash falls in, or a binary search with ``seek`` over the sorted file.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import BinaryIO, Protocol

from tradeguard.errors import Unavailable

log = logging.getLogger(__name__)

SETTING = "TRADEGUARD_BREACHED_PASSWORDS_PATH"
PREFIX_LENGTH = 5
HASH_LENGTH = 40
# A good line is 40 hex, ':' and a count; longer ones are read past in pieces, never whole.
_LONGEST_LINE = 128
# The sorted file is trusted to be mostly well formed; a longer run of bad lines means it is
# not an HIBP file, and searching it would read it end to end.
_MAX_BAD_RUN = 64
_HEX = frozenset(b"0123456789ABCDEF")

Entry = tuple[bytes, int]


class BreachCorpus(Protocol):
    """How many times a password with this SHA-1 was seen in breaches (0 when never)."""

    def count(self, sha1: str) -> int: ...


def sha1_hex(password: str) -> str:
    """Upper-case SHA-1 of the UTF-8 bytes, as HIBP lists it; a lone surrogate is hashed, not
    refused, so no input can make the look-up fail."""
    data = password.encode("utf-8", "surrogatepass")
    return hashlib.sha1(data, usedforsecurity=False).hexdigest().upper()


def parse_line(line: bytes, key_length: int) -> Entry | None:
    """``(KEY, count)`` from one ``KEY:COUNT`` line in either case and with CRLF, else None."""
    key, colon, count = line.strip().partition(b":")
    key, count = key.strip().upper(), count.strip()
    if not colon or len(key) != key_length or not _HEX.issuperset(key) or not count.isdigit():
        return None
    return key, int(count)


def read_line(handle: BinaryIO) -> bytes | None:
    """The next line, ``b""`` for one too long to be an entry (skipped), None at the end."""
    line = handle.readline(_LONGEST_LINE)
    if not line:
        return None
    if line.endswith(b"\n") or len(line) < _LONGEST_LINE:
        return line
    while (more := handle.readline(_LONGEST_LINE)) and not more.endswith(b"\n"):
        pass
    return b""


class RangeDirectory:
    """One file per SHA-1 prefix; a look-up reads one file of a couple of thousand lines."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def count(self, sha1: str) -> int:
        prefix, suffix = sha1[:PREFIX_LENGTH].upper(), sha1[PREFIX_LENGTH:].upper().encode()
        path = self._range_file(prefix)
        if path is None:
            # The downloader writes every prefix, so a gap means an incomplete download.
            log.warning("a range file is missing from %s; counted as never breached", self.root)
            return 0
        with path.open("rb") as handle:
            while (line := read_line(handle)) is not None:
                entry = parse_line(line, HASH_LENGTH - PREFIX_LENGTH)
                if entry is not None and entry[0] == suffix:
                    return entry[1]
        return 0

    def _range_file(self, prefix: str) -> Path | None:
        for name in (f"{prefix}.txt", prefix, f"{prefix.lower()}.txt", prefix.lower()):
            candidate = self.root / name
            if candidate.is_file():
                return candidate
        return None


class SortedHashFile:
    """One file of full hashes in ascending order, searched by byte offset.

    The search looks for the smallest offset whose next well-formed line holds a hash at or
    above the one sought; that predicate only grows with the offset in a sorted file, even
    with malformed lines between, so about log2(size) short reads find the hash or prove it
    absent.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def count(self, sha1: str) -> int:
        target = sha1.upper().encode()
        with self.path.open("rb") as handle:
            low, high = 0, handle.seek(0, os.SEEK_END)
            while low < high:
                middle = (low + high) // 2
                entry = self._entry_from(handle, middle)
                if entry is None or entry[0] >= target:
                    high = middle
                else:
                    low = middle + 1
            entry = self._entry_from(handle, low)
        return entry[1] if entry is not None and entry[0] == target else 0

    def _entry_from(self, handle: BinaryIO, offset: int) -> Entry | None:
        """The first well-formed entry on a line that starts at or after ``offset``."""
        handle.seek(max(offset - 1, 0))
        if offset > 0:
            read_line(handle)  # the line holding offset - 1 ends just before one at >= offset
        for _ in range(_MAX_BAD_RUN):
            line = read_line(handle)
            if line is None:
                return None
            entry = parse_line(line, HASH_LENGTH)
            if entry is not None:
                return entry
        log.error("%s has a long run of lines that are not HASH:COUNT", self.path)
        raise Unavailable(f"the breached-password file ({SETTING}) is not a sorted HIBP file")


def open_corpus(path: Path) -> BreachCorpus:
    """The corpus at ``path``: a directory of range files, or one sorted file."""
    if path.is_dir():
        return RangeDirectory(path)
    if path.is_file():
        return SortedHashFile(path)
    log.error("%s: %s does not exist or is not a file or directory", SETTING, path)
    raise Unavailable(
        f"the breached-password file or directory set in {SETTING} does not exist; "
        "fix the setting or unset it to check passwords without it"
    )


def breach_count(corpus: BreachCorpus, *passwords: str) -> int:
    """The highest count among the given forms of one password (as typed and normalised)."""
    try:
        return max((corpus.count(sha1_hex(p)) for p in dict.fromkeys(passwords)), default=0)
    except OSError as exc:
        log.error("reading the breached-password corpus failed: %s", exc.strerror)
        raise Unavailable(f"the breached-password file set in {SETTING} cannot be read") from None
