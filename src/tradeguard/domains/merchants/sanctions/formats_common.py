"""What every list parser shares: an entity under construction, dates, countries, safe reading.

The official lists disagree on nearly everything (CSV or XML, "15 Mar 1962" or "00/03/1962",
"Iran (Islamic Republic of)" or "IR"), so each parser turns its records into a :class:`Draft`
and these helpers bring the values to one FollowTheMoney shape. A record that cannot be read
raises :class:`RecordSkipped`; :class:`Tally` turns that into a line of ``ParsedList.skipped``
so one bad record never stops a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from followthemoney import model, registry
from lxml import etree  # type: ignore[import-untyped]

from tradeguard.domains.merchants.sanctions.entities import ListedEntity, ParsedList
from tradeguard.errors import Invalid

MAX_FILE_BYTES = 256 * 1024 * 1024  # the largest official list (EU FSF XML) is ~25 MB
MAX_YEAR_SPAN = 20  # "DOB 1960 to 1965" becomes each year; wider spans keep the two ends
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, start=1)}  # not locale-dependent
_TEXT_DATE = re.compile(r"^(?:(\d{1,2})\s+)?(?:([A-Za-z]{3})[a-z]*\.?\s+)?(\d{4})$")


class RecordSkipped(Exception):
    """One record of a list cannot be read; the message is the reason a person sees."""


def clean(value: object) -> str:
    """A value as one line of text: ``None`` and non-strings become "", spaces collapse."""
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())


def join_text(*parts: str | None, sep: str = ", ") -> str:
    """Non-empty parts joined, each once: ``join_text("Goma", "", "Goma", "DR Congo")``."""
    seen = dict.fromkeys(clean(p) for p in parts)
    return sep.join(p for p in seen if p)


@lru_cache(maxsize=4096)
def country_code(text: str) -> str | None:
    """FollowTheMoney's country code ("ir", "cd", "gb") for a name or code; None if unknown.

    FtM's country type (rigour territories) knows the UN and OFAC spellings ("Iran (Islamic
    Republic of)", "Korea, North") and a few non-ISO codes FtM uses ("xk", "suhh"). "Global"
    ("zz") and unknown names are dropped: an unknown country is no reason to lose a record.
    """
    value = clean(text)
    if not value or value.upper() in {"00", "UNKNOWN", "-0-"}:
        return None
    code = registry.country.clean_text(value)
    return code if code and code != "zz" else None


def partial_date(year: object, month: object = None, day: object = None) -> str | None:
    """ISO date to the precision known: ``(1962, 0, 0) -> "1962"``, ``(1962, 3, 0) -> "1962-03"``.

    Zero, empty or out-of-range month and day count as unknown (the UK list writes "00"); a
    day that does not exist in its month drops the day, not the date.
    """
    try:
        y, m, d = (int(str(v).strip() or 0) if v is not None else 0 for v in (year, month, day))
    except ValueError:
        return None
    if not 1000 <= y <= 2100:
        return None
    if not 1 <= m <= 12:
        return f"{y:04d}"
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return f"{y:04d}-{m:02d}"


def text_date(text: str) -> str | None:
    """``"15 Mar 1962"``, ``"Mar 1962"``, ``"1962"`` (and ISO forms) as a partial ISO date."""
    value = clean(text).rstrip(".")
    iso = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value)
    if iso:
        return partial_date(*iso.groups())
    found = _TEXT_DATE.match(value)
    if not found:
        return None
    day, month, year = found.groups()
    month_no = _MONTHS.get((month or "").lower()[:3], 0) if month else 0
    if month and not month_no:
        return None
    return partial_date(year, month_no, day or 0)


def year_span(start: object, end: object) -> list[str]:
    """Every year from ``start`` to ``end`` (a list's "born between"), or the two ends when the
    span is implausibly wide; nothing when either end is not a year."""
    first, last = partial_date(start), partial_date(end)
    if first is None or last is None:
        return [y for y in (first, last) if y]
    low, high = sorted((int(first), int(last)))
    if high - low > MAX_YEAR_SPAN:
        return [str(low), str(high)]
    return [str(y) for y in range(low, high + 1)]


@lru_cache(maxsize=16)
def _schema_props(schema: str) -> frozenset[str]:
    found = model.get(schema)
    if found is None:
        raise ValueError(f"unknown schema {schema!r}")
    return frozenset(found.properties)


@dataclass
class Draft:
    """A listed party being assembled from one record; :meth:`build` checks and freezes it.

    Properties the schema does not have (a vessel's ``passportNumber``) are dropped at build
    time, so parsers can add what a record says without knowing every schema's details.
    """

    entity_id: str
    schema: str
    caption: str = ""
    props: dict[str, list[str]] = field(default_factory=dict)
    programs: list[str] = field(default_factory=list)
    listed_on: str | None = None
    reference: str | None = None

    def add(self, prop: str, *values: str | None) -> None:
        for value in values:
            text = clean(value)
            if text:
                self.props.setdefault(prop, []).append(text)

    def add_country(self, prop: str, *texts: str | None) -> None:
        self.add(prop, *(country_code(t) for t in texts if t))

    def build(self) -> ListedEntity:
        """The entity; the caption defaults to the first name, else the first alias of any
        kind (a party listed only under aliases is still screened on them)."""
        caption = clean(self.caption)
        if caption and caption not in self.props.get("name", []):
            self.add("name", caption)
        kinds = ("name", "alias", "previousName", "weakAlias")
        caption = caption or next((n for k in kinds for n in self.props.get(k, [])), "")
        if not caption:
            raise RecordSkipped("no name")
        allowed = _schema_props(self.schema)
        return ListedEntity.create(
            entity_id=self.entity_id,
            schema=self.schema,
            caption=caption,
            properties={k: v for k, v in self.props.items() if k in allowed},
            programs=self.programs,
            listed_on=self.listed_on,
            reference=clean(self.reference) or None,
        )


@dataclass
class Tally:
    """Entities read so far and the records skipped, in file order; ids must be unique."""

    entities: dict[str, ListedEntity] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def keep(self, label: str, make: Callable[[], ListedEntity]) -> None:
        """Build one record's entity, or note why not as ``"<label>: <reason>"``."""
        try:
            entity = make()
        except (RecordSkipped, ValueError) as exc:
            self.skipped.append(f"{label}: {exc}")
            return
        if entity.entity_id in self.entities:
            self.skipped.append(f"{label}: duplicate id {entity.entity_id}")
            return
        self.entities[entity.entity_id] = entity

    def result(self, *, source: str, name: str, published: date | None) -> ParsedList:
        return ParsedList(
            source=source,
            name=name,
            published=published,
            entities=tuple(self.entities.values()),
            skipped=tuple(self.skipped),
        )


def require_file(path: Path) -> None:
    """Refuse a path that is not a readable regular file, in one line."""
    if not path.exists():
        raise Invalid(f"{path}: no such file")
    if not path.is_file():
        raise Invalid(f"{path}: not a regular file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise Invalid(
            f"{path.name}: {size} bytes is more than any official list ({MAX_FILE_BYTES})"
        )


def read_text(path: Path) -> str:
    """A whole CSV file as text: UTF-8 (with or without BOM), else Windows-1252.

    OFAC's legacy files were long published in Windows-1252; any byte sequence decodes in it,
    so a wrong file is caught by its columns, not by its encoding.
    """
    require_file(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise Invalid(f"{path.name}: cannot read it ({exc.strerror or exc})") from exc
    if b"\x00" in raw[:65536]:
        raise Invalid(f"{path.name} is a binary file, not a sanctions list")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return text.rstrip("\x1a\r\n\t ")  # DOS end-of-file marker on OFAC's files


def local_name(element: Any) -> str:
    """An element's tag without its namespace: the EU list changed namespace before."""
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def children(element: Any, name: str) -> Iterator[Any]:
    """Direct children named ``name`` (any namespace)."""
    for child in element:
        if local_name(child) == name:
            yield child


def child_text(element: Any, name: str) -> str:
    """The cleaned text of the first direct child named ``name``, or ""."""
    for child in children(element, name):
        return clean(child.text)
    return ""


def attr(element: Any, name: str) -> str:
    return clean(element.get(name))


@dataclass
class XmlRecords:
    """Stream the record elements of an XML list, each freed once the caller has read it.

    Parsing follows the OWASP XML advice: no DTD loading, no entity expansion, no network,
    libxml2's size limits on; a file that declares a DTD at all is refused, since no
    official list has one and entity tricks (billion laughs, external entities) need one.
    """

    path: Path
    what: str  # "a UN consolidated list XML file", for the error message
    root: str  # expected local name of the root element
    records: frozenset[str]  # local names of the record elements
    root_attrib: dict[str, str] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Any]:
        require_file(self.path)
        if declares_dtd(self.path):
            # Refused before libxml2 reads it: newer libxml2 stops an entity bomb inside the
            # DTD with its own message, so the check must not depend on which one is installed.
            raise Invalid(
                f"{self.path.name} is not {self.what}: it declares a DTD, which is refused"
            )
        try:
            # A first look at the root alone refuses a wrong or hostile file at once, without
            # parsing (and holding) the rest of it.
            for _, root in self._events(events=("start",)):
                self._check_root(root)
                break
            # "{*}" matches any namespace or none; filtering by tag keeps the events of the
            # other elements in C, which is most of the time on the EU file.
            tags = [f"{{*}}{t}" for t in sorted(self.records)]
            for _, element in self._events(events=("end",), tag=tags):
                yield element
                element.clear()
                parent = element.getparent()
                while parent is not None and element.getprevious() is not None:
                    del parent[0]
        except etree.XMLSyntaxError as exc:
            raise Invalid(f"{self.path.name} is not {self.what}: {exc.msg or exc}") from exc
        except OSError as exc:
            raise Invalid(f"{self.path.name}: cannot read it ({exc.strerror or exc})") from exc

    def _events(self, **options: Any) -> Any:
        return etree.iterparse(
            str(self.path),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            **options,
        )

    def _check_root(self, element: Any) -> None:
        name, found = self.path.name, local_name(element)
        if element.getroottree().docinfo.internalDTD is not None:
            raise Invalid(f"{name} is not {self.what}: it declares a DTD, which is refused")
        if found != self.root:
            raise Invalid(f"{name} is not {self.what}: its root is <{found}>, not <{self.root}>")
        self.root_attrib = {str(k): str(v) for k, v in element.attrib.items()}


def declares_dtd(path: Path, head_bytes: int = 65_536) -> bool:
    """A ``<!DOCTYPE`` in the prolog, before the first element: what entity tricks need."""
    try:
        with path.open("rb") as handle:
            head = handle.read(head_bytes)
    except OSError:
        return False  # the parser reports the unreadable file in its own words
    encoding = "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else "latin-1"
    text = head.decode(encoding, errors="replace")
    doctype = text.find("<!DOCTYPE")
    element = re.search(r"<[A-Za-z_]", text)
    return doctype >= 0 and (element is None or doctype < element.start())


def iso_day(text: str) -> date | None:
    """The date part of an ISO date or timestamp ("2026-02-27T00:00:09.554Z"), if valid."""
    found = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", text or "")
    if not found:
        return None
    try:
        return date(*(int(g) for g in found.groups()))
    except ValueError:
        return None


def split_numbered(text: str) -> list[str]:
    """``"(1) Afghanistan (2) Pakistan"`` -> both; text without numbering stays whole."""
    parts = re.split(r"\(\d{1,2}\)", text)
    return [p for p in (clean(x).strip(",;") for x in parts) if p]
