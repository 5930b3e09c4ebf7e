"""The EU Financial Sanctions Files (FSF) consolidated list, XML ``xmlFullSanctionsList_1_1``.

Root ``export`` (namespace ``http://eu.europa.ec/fpi/fsd/export``, matched by local name since
the EU has changed it before) with one ``sanctionEntity`` per listed party. Every name is a
``nameAlias``: ``strong="true"`` ones (including the translations into EU languages) become
``name``, ``strong="false"`` ones ``weakAlias``, which is how the EU marks names it considers
too weak to identify a person on their own.
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
    attr,
    child_text,
    children,
    country_code,
    iso_day,
    join_text,
    partial_date,
    year_span,
)

SCHEMA_BY_SUBJECT = {"person": "Person", "enterprise": "Organization"}
# identificationTypeCode -> FollowTheMoney property; anything else is an idNumber.
_ID_PROP = {
    "passport": "passportNumber",
    "regnumber": "registrationNumber",
    "fiscalcode": "taxNumber",
    "swiftbic": "swiftBic",
    "imo": "imoNumber",
}
_GENDER = {"m": "male", "f": "female"}


def read_eu(path: Path) -> ParsedList:
    """Read the EU FSF XML; ids are ``eu-<logicalId>``."""
    records = XmlRecords(
        path, "an EU Financial Sanctions Files XML file", "export", frozenset({"sanctionEntity"})
    )
    tally = Tally()
    for number, element in enumerate(records, start=1):
        logical_id = attr(element, "logicalId")
        label = f"record eu-{logical_id}" if logical_id else f"sanctionEntity {number}"
        tally.keep(label, partial(_entity, element))
    published = iso_day(records.root_attrib.get("generationDate", ""))
    return tally.result(source="eu", name="EU Financial Sanctions Files", published=published)


def _country(element: Any) -> str | None:
    """The ISO code when it is one ("00" means unknown), else the description's."""
    return country_code(attr(element, "countryIso2Code")) or country_code(
        attr(element, "countryDescription")
    )


def _place(element: Any) -> str:
    description = attr(element, "countryDescription")
    parts = ("street", "poBox", "city", "place", "region", "zipCode")
    return join_text(
        *(attr(element, p) for p in parts), "" if description == "UNKNOWN" else description
    )


def _entity(element: Any) -> ListedEntity:
    logical_id = attr(element, "logicalId")
    if not logical_id.isdigit():
        raise RecordSkipped(f"logicalId {logical_id[:20]!r} is not a number")
    subject = next((attr(s, "code") for s in children(element, "subjectType")), "")
    schema = SCHEMA_BY_SUBJECT.get(subject.lower(), "LegalEntity")
    draft = Draft(f"eu-{logical_id}", schema, reference=attr(element, "euReferenceNumber"))
    regulations = list(children(element, "regulation"))
    draft.programs = [attr(r, "programme") for r in regulations]
    in_force = (iso_day(attr(r, "entryIntoForceDate")) for r in regulations)
    listed = iso_day(attr(element, "designationDate")) or min(filter(None, in_force), default=None)
    draft.listed_on = listed.isoformat() if listed else None
    draft.add("notes", child_text(element, "remark"))
    for alias in children(element, "nameAlias"):
        _add_name(draft, alias)
    for citizenship in children(element, "citizenship"):
        draft.add("nationality", _country(citizenship))
    for birth in children(element, "birthdate"):
        _add_birth(draft, birth)
    for document in children(element, "identification"):
        prop = _ID_PROP.get(attr(document, "identificationTypeCode").lower(), "idNumber")
        draft.add(prop, attr(document, "number") or attr(document, "latinNumber"))
    for address in children(element, "address"):
        draft.add("address", _place(address))
        draft.add("country", _country(address))
    return draft.build()


def _add_name(draft: Draft, alias: Any) -> None:
    whole = attr(alias, "wholeName") or join_text(
        *(attr(alias, p) for p in ("firstName", "middleName", "lastName")), sep=" "
    )
    strong = attr(alias, "strong").lower() != "false"
    if strong and not draft.caption:
        draft.caption = whole
    draft.add("name" if strong else "weakAlias", whole)
    if strong:
        draft.add("firstName", attr(alias, "firstName"))
        draft.add("middleName", attr(alias, "middleName"))
        draft.add("lastName", attr(alias, "lastName"))
    draft.add("gender", _GENDER.get(attr(alias, "gender").lower()))
    draft.add("title", attr(alias, "title"))
    draft.add("position" if draft.schema == "Person" else "notes", attr(alias, "function"))


def _add_birth(draft: Draft, birth: Any) -> None:
    full = iso_day(attr(birth, "birthdate"))
    if full:
        draft.add("birthDate", full.isoformat())
    elif attr(birth, "yearRangeFrom") or attr(birth, "yearRangeTo"):
        draft.add("birthDate", *year_span(attr(birth, "yearRangeFrom"), attr(birth, "yearRangeTo")))
    else:
        month = attr(birth, "monthOfYear") or attr(birth, "month")
        day = attr(birth, "dayOfMonth") or attr(birth, "day")
        draft.add("birthDate", partial_date(attr(birth, "year"), month, day))
    place = join_text(*(attr(birth, p) for p in ("city", "place", "region")))
    country = _country(birth)
    description = attr(birth, "countryDescription")
    if place or country:
        draft.add("birthPlace", join_text(place, "" if description == "UNKNOWN" else description))
    draft.add("birthCountry", country)
