"""OFAC's legacy CSV set: ``sdn.csv`` with ``alt.csv``, ``add.csv``, ``sdn_comments.csv``.

The same layout serves the consolidated non-SDN list (``cons_prim.csv`` with ``cons_alt.csv``,
``cons_add.csv``, ``cons_comments.csv``). ``-0-`` means empty. Most of what matters for
screening (dates and places of birth, nationality, documents, weak aliases) lives in the free
text Remarks column, which is read here part by part ("DOB 1962; POB Shati.; a.k.a. 'BNC'.");
parts that say nothing structured are kept as ``notes``.

Alias quality: the legacy layout puts OFAC's strong a.k.a.s in ``alt.csv`` and its weak ones,
in single quotes, in Remarks. So ``alt.csv`` "aka" and "nka" become ``alias``, "fka" becomes
``previousName``, and a quoted Remarks "a.k.a." becomes ``weakAlias`` (FollowTheMoney does not
match on weak aliases alone: a nickname like 'BNC' is too short to screen on).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

from tradeguard.domains.merchants.sanctions.entities import ListedEntity, ParsedList
from tradeguard.domains.merchants.sanctions.formats_common import (
    Draft,
    RecordSkipped,
    Tally,
    clean,
    country_code,
    iso_day,
    join_text,
    partial_date,
    read_text,
    text_date,
    year_span,
)
from tradeguard.errors import Invalid

SCHEMA_BY_TYPE = {
    "individual": "Person",
    "vessel": "Vessel",
    "aircraft": "Airplane",
    "": "Organization",
}
_COLUMNS = 12  # ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage,
# GRT, Vess_flag, Vess_owner, Remarks


@dataclass(frozen=True)
class _FileSet:
    """The files of one OFAC list and how its entities are named."""

    main: Path
    alt: Path
    add: Path
    comments: Path
    prefix: str  # entity id prefix
    name: str  # ParsedList.name


def _file_set(path: Path) -> _FileSet:
    if path.is_dir():
        path = path / "sdn.csv"
    folder = path.parent
    if path.name.lower().startswith("cons_"):
        return _FileSet(
            path,
            folder / "cons_alt.csv",
            folder / "cons_add.csv",
            folder / "cons_comments.csv",
            "ofac-cons",
            "OFAC consolidated (non-SDN)",
        )
    return _FileSet(
        path,
        folder / "alt.csv",
        folder / "add.csv",
        folder / "sdn_comments.csv",
        "ofac-sdn",
        "OFAC SDN",
    )


def ofac_files(path: Path) -> tuple[Path, ...]:
    """The files an OFAC set at ``path`` is read from, main file first (siblings may be
    missing): what a "same file again" fingerprint must cover."""
    files = _file_set(path)
    return (files.main, files.alt, files.add, files.comments)


def read_ofac(path: Path) -> ParsedList:
    """Read an OFAC SDN (or consolidated) CSV set; see the module docstring."""
    files = _file_set(path)
    rows, published = _main_rows(files.main)
    known = {r[0].strip() for r in rows if r[0].strip().isdigit()}
    tally = Tally()
    side = _Side(
        alts=_side_rows(files.alt, 5, files.main.name, known, tally),
        addresses=_side_rows(files.add, 6, files.main.name, known, tally),
        comments=_side_rows(files.comments, 2, files.main.name, known, tally),
    )
    for line, row in enumerate(rows, start=1):
        ent_num = row[0].strip()
        label = f"record {ent_num}" if ent_num.isdigit() else f"line {line}"
        tally.keep(label, partial(_build, files.prefix, row, side))
    return tally.result(source="ofac-sdn", name=files.name, published=published)


@dataclass(frozen=True)
class _Side:
    """The sibling files' rows, by ent_num."""

    alts: dict[str, list[list[str]]]
    addresses: dict[str, list[list[str]]]
    comments: dict[str, list[list[str]]]


def _build(prefix: str, row: list[str], side: _Side) -> ListedEntity:
    if len(row) != _COLUMNS:
        raise RecordSkipped(f"{len(row)} columns, expected {_COLUMNS}")
    ent_num = row[0].strip()
    if not ent_num.isdigit():
        raise RecordSkipped(f"ent_num {ent_num[:20]!r} is not a number")
    extra = "".join(r[1] for r in side.comments.get(ent_num, ()))
    draft = _entry(prefix, row, extra)
    for alt in side.alts.get(ent_num, ()):
        _add_alt(draft, alt)
    for add in side.addresses.get(ent_num, ()):
        _add_address(draft, add)
    return draft.build()


def _csv_rows(path: Path) -> list[list[str]]:
    try:
        return [r for r in csv.reader(io.StringIO(read_text(path))) if any(c.strip() for c in r)]
    except csv.Error as exc:
        raise Invalid(f"{path.name} is not a readable CSV file: {exc}") from exc


def _main_rows(path: Path) -> tuple[list[list[str]], date | None]:
    what = "an OFAC SDN CSV file" if not path.name.startswith("cons_") else "an OFAC CSV file"
    rows = _csv_rows(path)
    published = None
    if rows and "publish" in rows[0][0].lower():  # a "Publish Date: 12/31/2019" banner
        found = re.search(r"(\d{1,2})/(\d{1,2})/(\d{4})", ",".join(rows[0]))
        us_date = partial_date(found[3], found[1], found[2]) if found else None
        published = iso_day(us_date or "")
        rows = rows[1:]
    if not rows:
        raise Invalid(f"{path.name} is not {what}: it holds no rows")
    first = rows[0]
    if len(first) != _COLUMNS or not first[0].strip().isdigit():
        raise Invalid(
            f"{path.name} is not {what}: its first row has {len(first)} columns"
            f" and starts {first[0][:20]!r}; expected {_COLUMNS} columns starting with ent_num"
        )
    return rows, published


def _side_rows(
    path: Path, columns: int, main: str, known: set[str], tally: Tally
) -> dict[str, list[list[str]]]:
    """A sibling file's rows by ent_num; a missing sibling is simply absent."""
    if not path.exists():
        return {}
    rows = _csv_rows(path)
    if rows and (len(rows[0]) != columns or not rows[0][0].strip().isdigit()):
        raise Invalid(
            f"{path.name} is not an OFAC file beside {main}: its first row has {len(rows[0])}"
            f" columns, expected {columns}"
        )
    found: dict[str, list[list[str]]] = {}
    orphans: list[str] = []
    for line, row in enumerate(rows, start=1):
        if len(row) != columns:
            tally.skipped.append(f"{path.name} line {line}: {len(row)} columns, expected {columns}")
            continue
        ent_num = row[0].strip()
        if ent_num not in known:
            orphans.append(ent_num)
            continue
        found.setdefault(ent_num, []).append([_cell(c) for c in row])
    if orphans:
        shown = ", ".join(orphans[:5]) + (", ..." if len(orphans) > 5 else "")
        tally.skipped.append(
            f"{path.name}: {len(orphans)} rows for entries not in {main} ({shown})"
        )
    return found


def _cell(value: str) -> str:
    text = clean(value)
    return "" if text == "-0-" else text


def natural_order(name: str) -> str | None:
    """``"HANIYA, Ismail Abdul Salah"`` -> ``"Ismail Abdul Salah HANIYA"``; None without a comma."""
    last, sep, given = name.partition(",")
    if not sep or not last.strip() or not given.strip():
        return None
    return f"{given.strip()} {last.strip()}"


def _entry(prefix: str, row: list[str], extra_remarks: str) -> Draft:
    ent_num, name, kind, program, title, call_sign, vess_type, tonnage, grt, flag, owner = (
        _cell(c) for c in row[:11]
    )
    schema = SCHEMA_BY_TYPE.get(kind.lower())
    if schema is None:
        raise RecordSkipped(f"unknown SDN_Type {kind!r}")
    draft = Draft(f"{prefix}-{ent_num}", schema, caption=name, reference=ent_num)
    if schema == "Person":
        _add_person_name(draft, "name", name)
        last, _, given = name.partition(",")
        if given.strip():
            draft.add("lastName", last)
            draft.add("firstName", given)
    draft.programs = [p for p in re.split(r"\]\s*\[", program.strip("[] ")) if p]
    draft.add("position", title)
    draft.add("callSign", call_sign)
    draft.add("type", vess_type)
    draft.add("tonnage", tonnage)
    draft.add("grossRegisteredTonnage", grt)
    draft.add_country("flag", flag)
    if owner:
        draft.add("notes", f"Owner: {owner}")
    remarks = _cell(row[11]) + extra_remarks
    draft.add("notes", *apply_remarks(draft, remarks))
    return draft


def _add_person_name(draft: Draft, prop: str, name: str) -> None:
    draft.add(prop, name, natural_order(name))


def _add_alt(draft: Draft, row: list[str]) -> None:
    _, _, kind, name, _ = row
    prop = "previousName" if kind.lower() == "fka" else "alias"
    if draft.schema == "Person":
        _add_person_name(draft, prop, name)
    else:
        draft.add(prop, name)


def _add_address(draft: Draft, row: list[str]) -> None:
    _, _, street, city, country, _ = row
    draft.add("address", join_text(street, city, country))
    draft.add_country("country", country)


# --- Remarks -----------------------------------------------------------------------------

_ID_LABELS = {
    "passportNumber": (
        "Passport", "Diplomatic Passport", "Passport Booklet", "Travel Document Number",
        "British National Overseas Passport", "Stateless Person Passport",
    ),
    "taxNumber": (
        "Tax ID No.", "Tax Identification Number", "R.F.C.", "RFC", "NIT", "RUC", "RIF",
        "V.A.T. Number", "VAT Number", "C.U.I.T.", "C.I.F.", "Italian Fiscal Code", "US FEIN",
        "RTN", "Numero Unico de Identificacao Tributaria (NUIT)", "TIN", "INN", "Fiscal Code",
        "Romanian Tax Registration", "Paraguayan tax identification number",
    ),
    "registrationNumber": (
        "Registration ID", "Registration Number", "Business Registration Document",
        "Business Registration Number", "Commercial Registry Number", "Company Number",
        "UK Company Number", "Folio Mercantil No.", "Matricula Mercantil No",
        "Matricula Mercantil No.", "Certificate of Incorporation Number",
        "Chamber of Commerce Number", "Trade License No.", "C.R. No.",
        "Public Registration Number", "Legal Entity Number", "Government Gazette Number",
        "Registered Charity No.", "Branch Unit Number", "Business Number",
        "Dubai Chamber of Commerce Membership No.", "Enterprise Number", "OGRN",
        "Afghan Money Service Provider License Number", "Economic Register Number (CBLS)",
        "Romanian C.R.", "Istanbul Chamber of Comm. No.", "Company ID: No.",
        "United Social Credit Code Certificate (USCCC)", "Previous Aircraft Tail Number",
    ),
    "idNumber": (
        "National ID No.", "National ID Number", "Cedula No.", "D.N.I.", "C.U.R.P.", "C.U.I.P.",
        "Identification Number", "Personal ID Card", "Numero de Identidad",
        "Citizen's Card Number", "Tazkira National ID Card", "Kenyan ID No.",
        "Turkish Identificiation Number", "Turkish Identification Number",
        "Electoral Registry No.", "Credencial electoral", "I.F.E.", "Birth Certificate Number",
        "SSN", "Residency Number", "National Foreign ID Number", "Driver's License No.",
        "Cartilla de Servicio Militar Nacional", "LE Number", "Immigration No.", "VisaNumberID",
        "Pilot License Number", "Identity Card", "Social Security Number", "Refugee ID Card",
        "Moroccan Personal ID No.", "Bosnian Personal ID No.", "N.I.E.", "UAE Identification",
        "CNP (Personal Numerical Code)", "Stateless Person ID Card",
        "Public Security and Immigration No.", "Romanian Permanent Resident CAN",
    ),
}  # fmt: skip
_ID_PROP = {label.lower(): prop for prop, labels in _ID_LABELS.items() for label in labels}
_ID_PART = re.compile(
    r"^(?P<label>"
    + "|".join(re.escape(k) for k in sorted(_ID_PROP, key=len, reverse=True))
    + r")\s*[#:]?\s*(?P<value>\S.*)$",
    re.IGNORECASE,
)
_IMO = re.compile(
    r"(?:\bIMO|^Vessel Registration Identification|^International Maritime Organization No\.)"
    r"\s+\(?(\d{7})\b"
)
_ALIAS = re.compile(r"^([afn])\.k\.a\.,?\s+(.+)$", re.IGNORECASE)
_ALIAS_PROP = {"a": "weakAlias", "f": "previousName", "n": "weakAlias"}
_GENDER = re.compile(r"^Gender\s+(Male|Female)$", re.IGNORECASE)
_SIMPLE = (
    (re.compile(r"^POB\s+(.+)$"), "birthPlace"),
    (re.compile(r"^Website\s+(\S+)$", re.IGNORECASE), "website"),
    (re.compile(r"^Email(?: Address)?\s+(\S+)$", re.IGNORECASE), "email"),
    (re.compile(r"^Other Vessel Call Sign\s+(\S+)$"), "callSign"),
    (re.compile(r"^SWIFT/BIC\s+(\S+)$"), "swiftBic"),
    (re.compile(r"^MMSI\s+(\d{9})$"), "mmsi"),
    (re.compile(r"^D-U-N-S Number\s+(\S+)$"), "dunsCode"),
    (re.compile(r"^Aircraft Model\s+(.+)$"), "model"),
    (re.compile(r"^Aircraft Manufacturer's Serial Number \(MSN\)\s+(.+)$"), "serialNumber"),
    (re.compile(r"^Aircraft Tail Number\s+(.+)$"), "registrationNumber"),
)
_DATES = (
    (re.compile(r"^DOB\s+(.+)$"), "birthDate"),
    (re.compile(r"^(?:Aircraft Manufacture Date|Vessel Year of Build)\s+(.+)$"), "buildDate"),
)
_COUNTRIES = (
    (re.compile(r"^(?:nationality|citizen)\s+(?:possibly\s+)?(.+)$", re.IGNORECASE), "nationality"),
    (re.compile(r"^Former Vessel Flag\s+(.+)$"), "pastFlags"),
)


def apply_remarks(draft: Draft, remarks: str) -> list[str]:
    """Add what the Remarks say to ``draft``; return the parts that are only notes."""
    notes: list[str] = []
    for raw in re.split(r";\s*", remarks.strip().rstrip(".")):
        part = clean(raw).rstrip(".")
        bare = re.sub(r"^alt\.\s+", "", part, flags=re.IGNORECASE)
        if bare and not _apply_part(draft, bare):
            notes.append(part)
    return notes


def _apply_part(draft: Draft, part: str) -> bool:
    """Apply one remark; False when it is not structured data."""
    if found := _ALIAS.match(part):
        draft.add(_ALIAS_PROP[found[1].lower()], found[2].strip().strip("'\""))
        return True
    if (found := _IMO.search(part)) and not part.startswith("Linked To"):
        draft.add("imoNumber", found[1])
        return True
    for pattern, prop in _COUNTRIES:
        if found := pattern.match(part):
            code = country_code(found[1])
            draft.add(prop, code)
            return code is not None
    if found := _GENDER.match(part):
        draft.add("gender", found[1].lower())
        return True
    for pattern, prop in _DATES:
        if found := pattern.match(part):
            values = birth_dates(found[1])
            draft.add(prop, *values)
            return bool(values)
    for pattern, prop in _SIMPLE:
        if found := pattern.match(part):
            draft.add(prop, found[1])
            return True
    if found := _ID_PART.match(part):
        draft.add(_ID_PROP[found["label"].lower()], _id_value(found["value"]))
        return True
    return False


def _id_value(text: str) -> str:
    """``"L 191609 issued 28 Feb 1996 expires ..."`` or ``"A123 (Iran)"`` -> the number."""
    value = re.split(r"\s+(?:issued|expires|Expiration)\b", text, maxsplit=1, flags=re.I)[0]
    return re.sub(r"\s*\([^()]*\)\s*$", "", value).strip(" ,:")


_DATE_RANGE = re.compile(r"^(.+?)\s*(?:\bto\b|-)\s*(.+)$")


def birth_dates(text: str) -> list[str]:
    """OFAC's date forms: "15 Mar 1962", "Mar 1962", "circa 1962", "1962 to 1965",
    "01 Jan 1960 to 31 Dec 1962" (every year between), "circa 1960-1962"."""
    value = re.sub(r"^(?:circa|approximately)\s+", "", clean(text), flags=re.IGNORECASE)
    single = text_date(value)
    if single:
        return [single]
    found = _DATE_RANGE.match(value)
    if not found:
        return []
    start, end = text_date(found[1]), text_date(found[2])
    if start is None or end is None:
        return []
    return year_span(start[:4], end[:4]) if start[:4] != end[:4] else [start, end]
