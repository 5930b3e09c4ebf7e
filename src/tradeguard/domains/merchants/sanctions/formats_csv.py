"""TradeGuard's own CSV for private watch lists (a bank's internal list, past fraudsters).

UTF-8, with or without a byte-order mark, comma-separated, one party per row, a header row
naming the columns (any order; a column not listed here is refused so a typo is not
silently ignored):

=============  ========  =====================================================================
column         required  meaning
=============  ========  =====================================================================
id             yes       the party's id in this list: letters, digits, ``. _ : -``, 1-64
schema                   Person (default), Organization, Company, LegalEntity, Vessel, Airplane
name           yes       the primary name
aliases                  other names, separated by ``;``
birth_date               YYYY, YYYY-MM or YYYY-MM-DD
nationality              country names or ISO codes, separated by ``;``
country                  country names or ISO codes, separated by ``;``
id_numbers               identity or registration numbers, separated by ``;``
programs                 why the party is listed, separated by ``;``
listed_on                YYYY-MM-DD
notes                    free text
=============  ========  =====================================================================

Entity ids are ``csv-<id>``; the list's name is the file's stem, so several files can each be
loaded as a list of their own. A row with a bad value (an unknown country, a malformed date)
is skipped with the reason rather than loaded without it: the operator owns the file and can
fix it, while a silently dropped birth date would weaken every match against that party.
"""

from __future__ import annotations

import csv
import io
import re
from functools import partial
from pathlib import Path

from tradeguard.domains.merchants.sanctions.entities import SCHEMATA, ListedEntity, ParsedList
from tradeguard.domains.merchants.sanctions.formats_common import (
    Draft,
    RecordSkipped,
    Tally,
    clean,
    country_code,
    iso_day,
    partial_date,
    read_text,
)
from tradeguard.errors import Invalid

COLUMNS = (
    "id",
    "schema",
    "name",
    "aliases",
    "birth_date",
    "nationality",
    "country",
    "id_numbers",
    "programs",
    "listed_on",
    "notes",
)
REQUIRED = ("id", "name")
_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def read_csv(path: Path) -> ParsedList:
    """Read a TradeGuard watch-list CSV; see the module docstring for its columns."""
    text = read_text(path)
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise Invalid(f"{path.name} is not a readable CSV file: {exc}") from exc
    if not rows:
        raise Invalid(f"{path.name} is not a TradeGuard watch-list CSV file: it is empty")
    header = [clean(h).lower() for h in rows[0]]
    problems = {
        "unknown columns": [h for h in header if h not in COLUMNS],
        "missing columns": [c for c in REQUIRED if c not in header],
        "repeated columns": sorted({h for h in header if header.count(h) > 1}),
    }
    problem = next((f"{what} {found}" for what, found in problems.items() if found), None)
    if problem:
        raise Invalid(
            f"{path.name} is not a TradeGuard watch-list CSV file: {problem};"
            f" the columns are {', '.join(COLUMNS)}"
        )
    tally = Tally()
    for line, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        row = dict(zip(header, (c.strip() for c in cells), strict=False))
        label = f"line {line}" + (f" (id {row['id'][:64]})" if row.get("id") else "")
        tally.keep(label, partial(_entity, row, len(cells) - len(header)))
    return tally.result(source="csv", name=path.stem, published=None)


def _items(value: str | None) -> list[str]:
    return [p for p in (clean(x) for x in (value or "").split(";")) if p]


def _countries(value: str | None, column: str) -> list[str]:
    codes = []
    for item in _items(value):
        code = country_code(item)
        if code is None:
            raise RecordSkipped(f"{column}: unknown country {item!r}")
        codes.append(code)
    return codes


def _birth_date(text: str) -> str:
    """A partial ISO date exactly as written, or "" when empty; anything else is refused."""
    found = _PARTIAL_DATE.fullmatch(text)
    if text and (not found or partial_date(*found.groups()) != text):
        raise RecordSkipped(f"birth_date {text!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    return text


def _entity(row: dict[str, str], extra_cells: int) -> ListedEntity:
    if extra_cells > 0:
        raise RecordSkipped(f"{extra_cells} more cells than the header has columns")
    entity_id = row.get("id", "")
    if not _ID.fullmatch(entity_id):
        raise RecordSkipped("id must be 1-64 letters, digits or . _ : -")
    schema = row.get("schema") or "Person"
    if schema not in SCHEMATA:
        raise RecordSkipped(f"schema {schema!r} is not one of {', '.join(SCHEMATA)}")
    birth_date = _birth_date(row.get("birth_date", ""))
    listed_on = row.get("listed_on", "")
    listed = iso_day(listed_on)
    if listed_on and (listed is None or len(listed_on) != 10):
        raise RecordSkipped(f"listed_on {listed_on!r} is not YYYY-MM-DD")
    draft = Draft(f"csv-{entity_id}", schema, caption=row.get("name", ""), reference=entity_id)
    if not draft.caption:
        raise RecordSkipped("no name")
    draft.programs = _items(row.get("programs"))
    draft.listed_on = listed.isoformat() if listed else None
    draft.add("alias", *_items(row.get("aliases")))
    draft.add("birthDate", birth_date)
    draft.add("nationality", *_countries(row.get("nationality"), "nationality"))
    draft.add("country", *_countries(row.get("country"), "country"))
    vehicle = schema in ("Vessel", "Airplane")  # FtM keeps their numbers as registrations
    draft.add("registrationNumber" if vehicle else "idNumber", *_items(row.get("id_numbers")))
    draft.add("notes", row.get("notes"))
    return draft.build()
