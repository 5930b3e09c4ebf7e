"""The UK sanctions lists as CSV: OFSI's consolidated list (``ConList.csv``) and the FCDO's
UK Sanctions List (``UK-Sanctions-List.csv``).

Both write one row per name: rows sharing an id are one party and its aliases. ConList groups
by "Group ID" (ids ``uk-<Group ID>``), the FCDO list by "Unique ID" (``uk-<Unique ID>``, e.g.
``uk-AFG0001``), so switching from one file to the other gives every party a new id. Names
are "Name 1".."Name 5" then "Name 6", the family name. "Primary name" rows give the caption,
"AKA" and "Primary name variation" rows aliases, "FKA" rows ``previousName``, and any row of
"Low quality" (or "weak") is a ``weakAlias``. Columns are found by header name, so their order
and the extra columns of newer releases do not matter.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from functools import partial
from pathlib import Path

from tradeguard.domains.merchants.sanctions.entities import ListedEntity, ParsedList
from tradeguard.domains.merchants.sanctions.formats_common import (
    Draft,
    Tally,
    clean,
    iso_day,
    join_text,
    partial_date,
    read_text,
    split_numbered,
    text_date,
)
from tradeguard.errors import Invalid

SCHEMA_BY_TYPE = {"individual": "Person", "entity": "Organization", "ship": "Vessel"}
# Our field -> the header names (lower case, letters and digits only) of either layout.
_HEADERS = {
    "group": ("groupid",),
    "unique": ("uniqueid",),
    "name_type": ("aliastype", "nametype"),
    "quality": ("aliasquality", "aliasstrength"),
    "title": ("title",),
    "non_latin": ("namenonlatinscript",),
    "dob": ("dob",),
    "town": ("townofbirth",),
    "birth_country": ("countryofbirth",),
    "nationality": ("nationality", "nationalityies"),
    "passport": ("passportnumber",),
    "national_id": ("nationalidentificationnumber", "nationalidentifiernumber"),
    "position": ("position",),
    "postcode": ("postzipcode", "addresspostalcode"),
    "country": ("country", "addresscountry"),
    "notes": ("otherinformation",),
    "type": ("grouptype", "designationtype"),
    "regime": ("regime", "regimename"),
    "listed_on": ("listedon", "datedesignated"),
    "gender": ("gender",),
    "imo": ("imonumber",),
    "registration": ("businessregistrationnumbers",),
    "flag": ("currentbelievedflagofship",),
    "website": ("website",),
    "email": ("emailaddress",),
    **{f"name{i}": (f"name{i}",) for i in range(1, 7)},
    **{f"address{i}": (f"address{i}", f"addressline{i}") for i in range(1, 7)},
}
_UK_REF = re.compile(r"\(UK Sanctions List Ref\):\s*([A-Z]{2,4}\d{3,5})")
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")

Row = dict[str, str]


def read_uk(path: Path) -> ParsedList:
    """Read OFSI's ConList.csv or the FCDO UK Sanctions List CSV."""
    rows = _csv_rows(path)
    at = next((i for i, r in enumerate(rows[:20]) if "name6" in map(_key, r)), None)
    if at is None:
        raise Invalid(
            f"{path.name} is not a UK sanctions list CSV file: no header row with"
            " 'Name 6' in its first 20 lines"
        )
    header = _columns(rows[at])
    fcdo = "unique" in header
    id_field = "unique" if fcdo else "group"
    if id_field not in header:
        raise Invalid(f"{path.name} is not a UK sanctions list CSV file: no 'Group ID' column")
    groups: dict[str, list[Row]] = {}
    tally = Tally()
    for line, cells in enumerate(rows[at + 1 :], start=at + 2):
        if not any(c.strip() for c in cells):
            continue
        row = {f: clean(cells[i]) for f, i in header.items() if i < len(cells)}
        key = row.get(id_field, "")
        if not key:
            tally.skipped.append(f"line {line}: no {'Unique ID' if fcdo else 'Group ID'}")
            continue
        groups.setdefault(key, []).append(row)
    for key, group in groups.items():
        tally.keep(f"record uk-{key}", partial(_entity, key, group, fcdo))
    name = "UK Sanctions List (FCDO)" if fcdo else "UK OFSI consolidated list"
    return tally.result(source="uk", name=name, published=_published(rows[:at]))


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def _columns(header: list[str]) -> dict[str, int]:
    by_key = {_key(h): i for i, h in reversed(list(enumerate(header)))}
    found: dict[str, int] = {}
    for field, keys in _HEADERS.items():
        index = next((by_key[k] for k in keys if k in by_key), None)
        if index is not None:
            found[field] = index
    return found


def _csv_rows(path: Path) -> list[list[str]]:
    """All rows, blank ones included, so that a row's index is its line number."""
    try:
        return list(csv.reader(io.StringIO(read_text(path))))
    except csv.Error as exc:
        raise Invalid(f"{path.name} is not a readable CSV file: {exc}") from exc


def _published(banner: list[list[str]]) -> date | None:
    """ConList: "Last Updated,15/07/2026"; FCDO: "Report Date: 13-Feb-2026"."""
    for row in banner:
        text = " ".join(row)
        if found := _DMY.search(text):
            day = partial_date(found[3], found[2], found[1])
            return iso_day(day or "")
        if found := re.search(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})", text):
            return iso_day(text_date(" ".join(found.groups())) or "")
    return None


def _dates(text: str) -> list[str]:
    """``"00/05/1958"`` -> ``"1958-05"``: OFSI writes 00 for an unknown day or month."""
    return [d for d in (partial_date(y, m, dd) for dd, m, y in _DMY.findall(text)) if d]


def _entity(key: str, group: list[Row], fcdo: bool) -> ListedEntity:
    first = group[0]
    schema = SCHEMA_BY_TYPE.get(first.get("type", "").lower(), "LegalEntity")
    ref = first.get("unique") if fcdo else next(iter(_UK_REF.findall(first.get("notes", ""))), "")
    draft = Draft(f"uk-{key}", schema, reference=ref or None)
    listed = _dates(first.get("listed_on", ""))
    draft.listed_on = listed[0] if listed and len(listed[0]) == 10 else None
    draft.add("notes", first.get("notes"))
    for row in group:
        _add_row(draft, row)
    return draft.build()


def _add_row(draft: Draft, row: Row) -> None:
    parts = [row.get(f"name{i}", "") for i in range(1, 7)]
    full = " ".join(p for p in parts if p)
    kind = row.get("name_type", "").lower()
    weak = any(w in row.get("quality", "").lower() for w in ("low", "weak"))
    if kind.startswith("primary name") and not kind.endswith("variation"):
        draft.caption = draft.caption or full
        prop = "name"
        if draft.schema == "Person" and parts[0] and parts[5]:
            draft.add("firstName", parts[0])
            draft.add("lastName", parts[5])
    elif weak:
        prop = "weakAlias"
    else:
        prop = "previousName" if kind == "fka" else "alias"
    draft.add(prop, full)
    draft.add("alias", row.get("non_latin"))
    draft.programs.append(row.get("regime", ""))
    draft.add("title", *split_numbered(row.get("title", "")))
    draft.add("birthDate", *_dates(row.get("dob", "")))
    towns, countries = (split_numbered(row.get(f, "")) for f in ("town", "birth_country"))
    if len(countries) == 1:
        draft.add("birthPlace", *([join_text(t, countries[0]) for t in towns] or countries))
    else:
        draft.add("birthPlace", *towns, *countries)
    draft.add_country("birthCountry", *countries)
    draft.add_country("nationality", *split_numbered(row.get("nationality", "")))
    draft.add("passportNumber", *split_numbered(row.get("passport", "")))
    draft.add("idNumber", *split_numbered(row.get("national_id", "")))
    draft.add("position", *split_numbered(row.get("position", "")))
    draft.add("gender", row.get("gender", "").lower())
    draft.add("imoNumber", row.get("imo"))
    draft.add("registrationNumber", *split_numbered(row.get("registration", "")))
    draft.add_country("flag", row.get("flag"))
    draft.add("website", row.get("website"))
    draft.add("email", row.get("email"))
    lines = [row.get(f"address{i}", "") for i in range(1, 7)]
    country = row.get("country", "")
    if any(lines) or row.get("postcode"):
        draft.add("address", join_text(*lines, row.get("postcode"), country))
    draft.add_country("country", *split_numbered(country))
