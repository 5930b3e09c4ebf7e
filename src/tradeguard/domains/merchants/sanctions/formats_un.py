"""The UN Security Council consolidated list, XML (``CONSOLIDATED_LIST``).

Individuals and entities are streamed one at a time. Alias quality follows the UN's own
wording: "Good" quality and entities' "a.k.a." are aliases a match can rest on, "Low" quality
ones are ``weakAlias`` (the Security Council says they are too broad to identify anyone on
their own), and "f.k.a." names are ``previousName``.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from tradeguard.domains.merchants.sanctions.entities import ListedEntity, ParsedList
from tradeguard.domains.merchants.sanctions.formats_common import (
    Draft,
    RecordSkipped,
    Tally,
    XmlRecords,
    child_text,
    children,
    clean,
    iso_day,
    join_text,
    local_name,
    text_date,
    year_span,
)

_ALIAS_PROP = {"good": "alias", "a.k.a.": "alias", "low": "weakAlias", "f.k.a.": "previousName"}
_PASSPORT_WORDS = ("passport", "passeport", "pasaporte")


def read_un(path: Path) -> ParsedList:
    """Read the UN consolidated list XML; ids are ``un-<DATAID>``."""
    records = XmlRecords(
        path,
        "a UN Security Council consolidated list XML file",
        "CONSOLIDATED_LIST",
        frozenset({"INDIVIDUAL", "ENTITY"}),
    )
    tally = Tally()
    for number, element in enumerate(records, start=1):
        data_id = child_text(element, "DATAID")
        label = f"record un-{data_id}" if data_id else f"{local_name(element)} {number}"
        tally.keep(label, partial(_entity, element))
    published = iso_day(records.root_attrib.get("dateGenerated", ""))
    return tally.result(
        source="un", name="UN Security Council consolidated list", published=published
    )


def _entity(element: Any) -> ListedEntity:
    data_id = child_text(element, "DATAID")
    if not data_id.isdigit():
        raise RecordSkipped(f"DATAID {data_id[:20]!r} is not a number")
    person = local_name(element) == "INDIVIDUAL"
    prefix = "INDIVIDUAL" if person else "ENTITY"
    parts = (child_text(element, f"{n}_NAME") for n in ("FIRST", "SECOND", "THIRD", "FOURTH"))
    name = " ".join(p for p in parts if p)  # parts repeat in Arabic names: JABER ... JABER
    draft = Draft(f"un-{data_id}", "Person" if person else "Organization", caption=name)
    draft.programs = [child_text(element, "UN_LIST_TYPE")]
    draft.reference = child_text(element, "REFERENCE_NUMBER")
    listed_on = iso_day(child_text(element, "LISTED_ON"))
    draft.listed_on = listed_on.isoformat() if listed_on else None
    draft.add("alias", child_text(element, "NAME_ORIGINAL_SCRIPT"))
    draft.add("notes", child_text(element, "COMMENTS1"))
    for alias in children(element, f"{prefix}_ALIAS"):
        quality = child_text(alias, "QUALITY").lower()
        draft.add(_ALIAS_PROP.get(quality, "alias"), child_text(alias, "ALIAS_NAME"))
        draft.add("birthDate", text_date(child_text(alias, "DATE_OF_BIRTH")))
    for address in children(element, f"{prefix}_ADDRESS"):
        _add_address(draft, address)
    if person:
        _add_person(draft, element)
    return draft.build()


def _values(element: Any, name: str) -> list[str]:
    """``<NATIONALITY><VALUE>a</VALUE><VALUE>b</VALUE></NATIONALITY>`` -> ["a", "b"]."""
    return [clean(v.text) for group in children(element, name) for v in children(group, "VALUE")]


def _add_address(draft: Draft, address: Any) -> None:
    country = child_text(address, "COUNTRY")
    parts = ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE")
    draft.add("address", join_text(*(child_text(address, p) for p in parts), country))
    draft.add_country("country", country)


def _add_person(draft: Draft, element: Any) -> None:
    draft.add("gender", child_text(element, "GENDER").lower())
    draft.add("title", *_values(element, "TITLE"))
    draft.add("position", *_values(element, "DESIGNATION"))
    draft.add_country("nationality", *_values(element, "NATIONALITY"))
    for dob in children(element, "INDIVIDUAL_DATE_OF_BIRTH"):
        draft.add("birthDate", *_birth_dates(dob))
    for pob in children(element, "INDIVIDUAL_PLACE_OF_BIRTH"):
        country = child_text(pob, "COUNTRY")
        parts = (child_text(pob, p) for p in ("STREET", "CITY", "STATE_PROVINCE"))
        draft.add("birthPlace", join_text(*parts, country))
        draft.add_country("birthCountry", country)
    for document in children(element, "INDIVIDUAL_DOCUMENT"):
        number = child_text(document, "NUMBER")
        kind = join_text(
            *(child_text(document, t) for t in ("TYPE_OF_DOCUMENT", "TYPE_OF_DOCUMENT2"))
        )
        passport = any(word in kind.lower() for word in _PASSPORT_WORDS)
        draft.add("passportNumber" if passport else "idNumber", number)


def _birth_dates(dob: Any) -> list[str]:
    """EXACT / APPROXIMATELY give a DATE or a YEAR; BETWEEN gives FROM_YEAR and TO_YEAR."""
    if child_text(dob, "FROM_YEAR") or child_text(dob, "TO_YEAR"):
        return year_span(child_text(dob, "FROM_YEAR"), child_text(dob, "TO_YEAR"))
    for field in ("DATE", "YEAR", "NOTE"):
        found = text_date(child_text(dob, field))
        if found:
            return [found]
    return []
