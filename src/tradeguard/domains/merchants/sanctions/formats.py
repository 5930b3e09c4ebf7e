"""Official sanctions-list files in, :class:`ParsedList` out: the one entry point for loading.

``read_list("un", path)`` picks the parser for a source; each lives in its own module
(``formats_ofac``, ``formats_un``, ``formats_eu``, ``formats_uk``, ``formats_csv``). A file that
is missing, unreadable or not of that format raises :class:`~tradeguard.errors.Invalid` with
one readable line; a record that cannot be read is left out and named in
``ParsedList.skipped``, so one damaged entry never keeps the rest of a list from screening.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tradeguard.domains.merchants.sanctions.entities import SOURCES, ParsedList
from tradeguard.domains.merchants.sanctions.formats_csv import read_csv
from tradeguard.domains.merchants.sanctions.formats_eu import read_eu
from tradeguard.domains.merchants.sanctions.formats_ofac import read_ofac
from tradeguard.domains.merchants.sanctions.formats_uk import read_uk
from tradeguard.domains.merchants.sanctions.formats_un import read_un
from tradeguard.errors import Invalid

READERS: dict[str, Callable[[Path], ParsedList]] = {
    "ofac-sdn": read_ofac,
    "un": read_un,
    "eu": read_eu,
    "uk": read_uk,
    "csv": read_csv,
}
assert tuple(READERS) == SOURCES, "a source without a parser, or a parser without a source"


def read_list(source: str, path: Path) -> ParsedList:
    """Parse the file (or, for ``ofac-sdn``, the folder holding ``sdn.csv``) at ``path``.

    ``ofac-sdn`` reads ``sdn.csv`` and its siblings ``alt.csv``, ``add.csv`` and
    ``sdn_comments.csv`` when present, or ``cons_prim.csv`` and its ``cons_*`` siblings.
    """
    reader = READERS.get(source)
    if reader is None:
        raise Invalid(f"unknown list source {source!r}; expected one of {', '.join(SOURCES)}")
    if not path.exists():
        raise Invalid(f"{path}: no such file")
    if path.is_dir() and source != "ofac-sdn":
        raise Invalid(f"{path} is a folder; give the {source} list file itself")
    return reader(path)
