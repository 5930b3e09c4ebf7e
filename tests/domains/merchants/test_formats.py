"""The sanctions-list parsers: each official layout's tricky cases, hostile files, real lists."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tradeguard.domains.merchants.sanctions.entities import ListedEntity, ParsedList
from tradeguard.domains.merchants.sanctions.formats import read_list
from tradeguard.domains.merchants.sanctions.formats_common import country_code, partial_date
from tradeguard.domains.merchants.sanctions.formats_ofac import (
    birth_dates,
    natural_order,
    ofac_files,
)
from tradeguard.errors import Invalid

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "sanctions"


def _write(folder: Path, name: str, text: str, *, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_text(text, encoding=encoding)
    return path


def _by_id(parsed: ParsedList) -> dict[str, ListedEntity]:
    return {e.entity_id: e for e in parsed.entities}


def _props(entity: ListedEntity, prop: str) -> tuple[str, ...]:
    return entity.properties.get(prop, ())


# --- shared helpers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Democratic Republic of the Congo", "cd"),
        ("Iran (Islamic Republic of)", "ir"),
        ("Korea, North", "kp"),
        ("RU", "ru"),
        ("United Kingdom", "gb"),
        ("00", None),
        ("UNKNOWN", None),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_country_names_map_to_ftm_codes(text: str, code: str | None) -> None:
    assert country_code(text) == code


def test_partial_dates_keep_what_is_known() -> None:
    assert partial_date("1958", "00", "00") == "1958"
    assert partial_date("1958", "05", "00") == "1958-05"
    assert partial_date("1958", "02", "30") == "1958-02"  # no such day: the day is dropped
    assert partial_date("58") is None


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        ("15 Mar 1962", ["1962-03-15"]),
        ("Mar 1962", ["1962-03"]),
        ("1962", ["1962"]),
        ("circa 1962", ["1962"]),
        ("circa 15 Mar 1962", ["1962-03-15"]),
        ("1962 to 1965", ["1962", "1963", "1964", "1965"]),
        ("01 Jan 1960 to 31 Dec 1961", ["1960", "1961"]),
        ("circa 1960-1961", ["1960", "1961"]),
        ("1900 to 1990", ["1900", "1990"]),  # too wide to list every year
        ("sometime in the sixties", []),
    ],
)
def test_ofac_birth_dates(text: str, dates: list[str]) -> None:
    assert birth_dates(text) == dates


def test_natural_order_moves_the_family_name_last() -> None:
    assert natural_order("HANIYA, Ismail Abdul Salah") == "Ismail Abdul Salah HANIYA"
    assert natural_order("BANCO NACIONAL DE CUBA") is None


# --- read_list -----------------------------------------------------------------------------


def test_unknown_source_missing_file_and_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="unknown list source 'nope'"):
        read_list("nope", tmp_path / "x.csv")
    with pytest.raises(Invalid, match="no such file"):
        read_list("un", tmp_path / "missing.xml")
    with pytest.raises(Invalid, match="is a folder"):
        read_list("un", tmp_path)
    with pytest.raises(Invalid, match=r"sdn\.csv: no such file"):
        read_list("ofac-sdn", tmp_path)


# --- OFAC ----------------------------------------------------------------------------------

_Z = "-0- "
SDN = "\n".join(
    [
        f'306,"BANCO NACIONAL DE CUBA",{_Z},"CUBA",{_Z},{_Z},{_Z},{_Z},{_Z},{_Z},{_Z},'
        "\"a.k.a. 'BNC'.\"",
        '9639,"HANIYA, Ismail Abdul Salah","individual","SDGT] [NS-PLC",'
        f'"Prime Minister",{_Z},{_Z},{_Z},{_Z},{_Z},{_Z},"DOB 15 Mar 1962; alt. DOB circa 1960;'
        " POB Shati, Gaza; nationality Iran; citizen Democratic Republic of the Congo;"
        " Passport A123 (Iran) issued 01 Jan 2001; National ID No. 555-1 (Iran);"
        " Tax ID No. 777 (Iran); Gender Male; a.k.a. 'ABU AL-ABD'; Linked To: HAMAS.\"",
        f'9640,"ABU TEIR, Mohammed","individual","NS-PLC",{_Z},{_Z},{_Z},{_Z},{_Z},{_Z},{_Z},'
        '"DOB 1951 to 1953; nationality Atlantis"',
        '9000,"ARCTIC SUNRISE","vessel","IRAN","","9HA1","Crude Oil Tanker","1000","2000",'
        '"Malta",-0- ,"Vessel Registration Identification IMO 9187629; MMSI 572469210;'
        ' Former Vessel Flag Tuvalu; Linked To: NIT."',
        '77,"BROKEN ROW","individual"',
        f'abc,"NOT A NUMBER",{_Z},"X",{_Z},{_Z},{_Z},{_Z},{_Z},{_Z},{_Z},{_Z}',
        f'78,-0- ,{_Z},"X",{_Z},{_Z},{_Z},{_Z},{_Z},{_Z},{_Z},{_Z}',
        f'79,"LONG REMARKS LTD",{_Z},"SDGT",{_Z},{_Z},{_Z},{_Z},{_Z},{_Z},{_Z},"a.k.a. \'SHO"',
    ]
)
ALT = "\n".join(
    [
        '306,220,"aka","NATIONAL BANK OF CUBA",-0- ',
        '9639,221,"fka","HANIYEH, Ismail",-0- ',
        '9999,222,"aka","NOBODY",-0- ',
    ]
)
ADD = '306,199,"Zweierstrasse 35","Zurich CH-8022","Switzerland",-0- \n'
COMMENTS = '79,"RT\'; Website www.example.test."\n\x1a'


@pytest.fixture
def sdn_folder(tmp_path: Path) -> Path:
    _write(tmp_path, "sdn.csv", SDN)
    _write(tmp_path, "alt.csv", ALT)
    _write(tmp_path, "add.csv", ADD)
    _write(tmp_path, "sdn_comments.csv", COMMENTS)
    return tmp_path


def test_ofac_sdn_entity_with_strong_and_weak_aliases_and_address(sdn_folder: Path) -> None:
    parsed = read_list("ofac-sdn", sdn_folder / "sdn.csv")
    assert (parsed.source, parsed.name, parsed.published) == ("ofac-sdn", "OFAC SDN", None)
    bank = _by_id(parsed)["ofac-sdn-306"]
    assert bank.schema == "Organization"
    assert bank.caption == "BANCO NACIONAL DE CUBA"
    assert bank.programs == ("CUBA",)
    assert _props(bank, "alias") == ("NATIONAL BANK OF CUBA",)
    assert _props(bank, "weakAlias") == ("BNC",)
    assert _props(bank, "address") == ("Zweierstrasse 35, Zurich CH-8022, Switzerland",)
    assert _props(bank, "country") == ("ch",)


def test_ofac_individual_remarks_and_name_order(sdn_folder: Path) -> None:
    person = _by_id(read_list("ofac-sdn", sdn_folder))["ofac-sdn-9639"]
    assert person.schema == "Person"
    assert person.caption == "HANIYA, Ismail Abdul Salah"
    assert set(_props(person, "name")) == {
        "HANIYA, Ismail Abdul Salah",
        "Ismail Abdul Salah HANIYA",
    }
    assert _props(person, "lastName") == ("HANIYA",)
    assert _props(person, "firstName") == ("Ismail Abdul Salah",)
    assert set(_props(person, "previousName")) == {"HANIYEH, Ismail", "Ismail HANIYEH"}
    assert _props(person, "birthDate") == ("1960", "1962-03-15")
    assert _props(person, "birthPlace") == ("Shati, Gaza",)
    assert _props(person, "nationality") == ("cd", "ir")
    assert _props(person, "passportNumber") == ("A123",)
    assert _props(person, "idNumber") == ("555-1",)
    assert _props(person, "taxNumber") == ("777",)
    assert _props(person, "gender") == ("male",)
    assert _props(person, "weakAlias") == ("ABU AL-ABD",)
    assert _props(person, "position") == ("Prime Minister",)
    assert _props(person, "notes") == ("Linked To: HAMAS",)
    assert person.programs == ("NS-PLC", "SDGT")


def test_ofac_date_range_and_unknown_nationality(sdn_folder: Path) -> None:
    person = _by_id(read_list("ofac-sdn", sdn_folder))["ofac-sdn-9640"]
    assert _props(person, "birthDate") == ("1951", "1952", "1953")
    assert "nationality" not in person.properties  # unknown country: dropped, kept as a note
    assert _props(person, "notes") == ("nationality Atlantis",)


def test_ofac_vessel_fields(sdn_folder: Path) -> None:
    vessel = _by_id(read_list("ofac-sdn", sdn_folder))["ofac-sdn-9000"]
    assert vessel.schema == "Vessel"
    assert _props(vessel, "imoNumber") == ("9187629",)
    assert _props(vessel, "mmsi") == ("572469210",)
    assert _props(vessel, "flag") == ("mt",)
    assert _props(vessel, "pastFlags") == ("tv",)
    assert _props(vessel, "callSign") == ("9HA1",)
    assert "passportNumber" not in vessel.properties


def test_ofac_comments_continue_the_remarks(sdn_folder: Path) -> None:
    company = _by_id(read_list("ofac-sdn", sdn_folder))["ofac-sdn-79"]
    assert _props(company, "weakAlias") == ("SHORT",)
    assert _props(company, "website") == ("www.example.test",)


def test_ofac_bad_records_are_skipped_and_the_rest_read(sdn_folder: Path) -> None:
    parsed = read_list("ofac-sdn", sdn_folder)
    assert len(parsed.entities) == 5
    assert parsed.skipped == (
        "alt.csv: 1 rows for entries not in sdn.csv (9999)",
        "record 77: 3 columns, expected 12",
        "line 6: ent_num 'abc' is not a number",
        "record 78: no name",
    )


def test_ofac_consolidated_set_has_its_own_ids_and_name(tmp_path: Path) -> None:
    _write(tmp_path, "cons_prim.csv", SDN.split("\n")[0].replace("306", "17", 1) + "\r\n\x1a")
    _write(tmp_path, "cons_alt.csv", '17,1,"aka","CUBA BANK",-0- \n')
    parsed = read_list("ofac-sdn", tmp_path / "cons_prim.csv")
    assert parsed.source == "ofac-sdn"
    assert parsed.name == "OFAC consolidated (non-SDN)"
    (entity,) = parsed.entities
    assert entity.entity_id == "ofac-cons-17"
    assert _props(entity, "alias") == ("CUBA BANK",)


def test_ofac_files_name_the_whole_set(tmp_path: Path) -> None:
    assert [p.name for p in ofac_files(tmp_path)] == [
        "sdn.csv",
        "alt.csv",
        "add.csv",
        "sdn_comments.csv",
    ]
    assert ofac_files(tmp_path / "cons_prim.csv")[1] == tmp_path / "cons_alt.csv"


def test_ofac_windows_1252_file_is_read(tmp_path: Path) -> None:
    row = f'5,"CAFÉ NACIONAL",{_Z},"CUBA",{_Z},{_Z},{_Z},{_Z},{_Z},{_Z},{_Z},{_Z}\n'
    _write(tmp_path, "sdn.csv", row, encoding="cp1252")
    (entity,) = read_list("ofac-sdn", tmp_path / "sdn.csv").entities
    assert entity.caption == "CAFÉ NACIONAL"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("<CONSOLIDATED_LIST/>", "sdn.csv is not an OFAC SDN CSV file: its first row has 1"),
        ("", "sdn.csv is not an OFAC SDN CSV file: it holds no rows"),
        ("a\x00b", "sdn.csv is a binary file"),
    ],
)
def test_ofac_wrong_file_is_refused(tmp_path: Path, text: str, why: str) -> None:
    _write(tmp_path, "sdn.csv", text)
    with pytest.raises(Invalid, match=why):
        read_list("ofac-sdn", tmp_path / "sdn.csv")


def test_ofac_wrong_sibling_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "sdn.csv", SDN)
    _write(tmp_path, "alt.csv", "name,alias\nx,y\n")
    with pytest.raises(Invalid, match=r"alt\.csv is not an OFAC file beside sdn\.csv"):
        read_list("ofac-sdn", tmp_path / "sdn.csv")


# --- UN ------------------------------------------------------------------------------------

UN_XML = """<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-02-27T00:00:09.554Z">
 <INDIVIDUALS>
  <INDIVIDUAL>
   <DATAID>11</DATAID><FIRST_NAME>JABER</FIRST_NAME><SECOND_NAME>ABDALLAH</SECOND_NAME>
   <THIRD_NAME>JABER</THIRD_NAME><FOURTH_NAME>AL-JALAHMAH</FOURTH_NAME>
   <UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE><REFERENCE_NUMBER>QDi.001</REFERENCE_NUMBER>
   <LISTED_ON>2014-08-15</LISTED_ON><GENDER>Male</GENDER>
   <NAME_ORIGINAL_SCRIPT>جابر</NAME_ORIGINAL_SCRIPT>
   <COMMENTS1>Financier.</COMMENTS1>
   <DESIGNATION><VALUE>Treasurer</VALUE></DESIGNATION>
   <NATIONALITY><VALUE>Iran (Islamic Republic of)</VALUE><VALUE>Atlantis</VALUE></NATIONALITY>
   <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Abu Ali</ALIAS_NAME>
    <DATE_OF_BIRTH>1958-02-22</DATE_OF_BIRTH></INDIVIDUAL_ALIAS>
   <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>The Sheikh</ALIAS_NAME></INDIVIDUAL_ALIAS>
   <INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS>
   <INDIVIDUAL_ADDRESS><STREET>1 Main St</STREET><CITY>Kuwait City</CITY>
    <COUNTRY>Kuwait</COUNTRY><NOTE>previous</NOTE></INDIVIDUAL_ADDRESS>
   <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1959-09-24</DATE>
   </INDIVIDUAL_DATE_OF_BIRTH>
   <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>APPROXIMATELY</TYPE_OF_DATE><YEAR>1960</YEAR>
   </INDIVIDUAL_DATE_OF_BIRTH>
   <INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><FROM_YEAR>1970</FROM_YEAR>
    <TO_YEAR>1971</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH>
   <INDIVIDUAL_PLACE_OF_BIRTH><CITY>Kuwait City</CITY><COUNTRY>Kuwait</COUNTRY>
   </INDIVIDUAL_PLACE_OF_BIRTH>
   <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT><NUMBER>P1</NUMBER>
   </INDIVIDUAL_DOCUMENT>
   <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Numéro de passeport</TYPE_OF_DOCUMENT>
    <NUMBER>P2</NUMBER></INDIVIDUAL_DOCUMENT>
   <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>National Identification Number</TYPE_OF_DOCUMENT>
    <NUMBER>N1</NUMBER></INDIVIDUAL_DOCUMENT>
  </INDIVIDUAL>
  <INDIVIDUAL><FIRST_NAME>NO ID</FIRST_NAME></INDIVIDUAL>
 </INDIVIDUALS>
 <ENTITIES>
  <ENTITY>
   <DATAID>22</DATAID><FIRST_NAME>AL-HARAMAIN FOUNDATION</FIRST_NAME>
   <UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE><REFERENCE_NUMBER>QDe.1</REFERENCE_NUMBER>
   <ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>Vazir</ALIAS_NAME></ENTITY_ALIAS>
   <ENTITY_ALIAS><QUALITY>f.k.a.</QUALITY><ALIAS_NAME>Old Name</ALIAS_NAME></ENTITY_ALIAS>
   <ENTITY_ADDRESS><CITY>Sarajevo</CITY><COUNTRY>Bosnia and Herzegovina</COUNTRY>
   </ENTITY_ADDRESS>
  </ENTITY>
 </ENTITIES>
</CONSOLIDATED_LIST>
"""


def test_un_individual(tmp_path: Path) -> None:
    parsed = read_list("un", _write(tmp_path, "un.xml", UN_XML))
    assert (parsed.source, parsed.published) == ("un", date(2026, 2, 27))
    person = _by_id(parsed)["un-11"]
    assert person.caption == "JABER ABDALLAH JABER AL-JALAHMAH"  # repeated part kept
    assert (person.programs, person.reference, person.listed_on) == (
        ("Al-Qaida",),
        "QDi.001",
        "2014-08-15",
    )
    assert set(_props(person, "alias")) == {"Abu Ali", "جابر"}
    assert _props(person, "weakAlias") == ("The Sheikh",)
    assert _props(person, "birthDate") == ("1958-02-22", "1959-09-24", "1960", "1970", "1971")
    assert _props(person, "nationality") == ("ir",)
    assert _props(person, "passportNumber") == ("P1", "P2")
    assert _props(person, "idNumber") == ("N1",)
    assert _props(person, "address") == ("1 Main St, Kuwait City, Kuwait",)
    assert _props(person, "birthPlace") == ("Kuwait City, Kuwait",)
    assert _props(person, "gender") == ("male",)
    assert _props(person, "position") == ("Treasurer",)


def test_un_entity_and_skipped_record(tmp_path: Path) -> None:
    parsed = read_list("un", _write(tmp_path, "un.xml", UN_XML))
    entity = _by_id(parsed)["un-22"]
    assert entity.schema == "Organization"
    assert _props(entity, "alias") == ("Vazir",)
    assert _props(entity, "previousName") == ("Old Name",)
    assert _props(entity, "country") == ("ba",)
    assert parsed.skipped == ("INDIVIDUAL 2: DATAID '' is not a number",)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID>
<FIRST_NAME>&lol9;</FIRST_NAME></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>
"""


def _external_entity(secret: Path) -> str:
    return f"""<?xml version="1.0"?>
<!DOCTYPE x [ <!ENTITY xxe SYSTEM "file://{secret}"> ]>
<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID>
<FIRST_NAME>&xxe;</FIRST_NAME></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>
"""


def test_hostile_xml_is_refused(tmp_path: Path) -> None:
    secret = _write(tmp_path, "secret.txt", "TOP-SECRET")
    for name, text in (("bomb.xml", BILLION_LAUGHS), ("xxe.xml", _external_entity(secret))):
        with pytest.raises(Invalid, match="DTD") as caught:
            read_list("un", _write(tmp_path, name, text))
        assert "TOP-SECRET" not in caught.value.detail


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("<export/>", "its root is <export>, not <CONSOLIDATED_LIST>"),
        ("name,alias\nx,y\n", "un.xml is not a UN Security Council consolidated list XML file"),
        ("<CONSOLIDATED_LIST><INDIVIDUALS>", "not a UN Security Council"),
    ],
)
def test_un_wrong_file_is_refused(tmp_path: Path, text: str, why: str) -> None:
    with pytest.raises(Invalid, match=why):
        read_list("un", _write(tmp_path, "un.xml", text))


# --- EU ------------------------------------------------------------------------------------

EU_XML = """<?xml version="1.0" encoding="UTF-8"?>
<export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="2026-07-14T08:00:00">
 <sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="EU.27.28"
   logicalId="13" designationDate="2022-02-23">
  <regulation programme="UKR" entryIntoForceDate="2022-02-25" logicalId="4402"/>
  <subjectType code="person" classificationCode="P"/>
  <nameAlias firstName="Sergei" middleName="" lastName="IVANOV" wholeName="Sergei IVANOV"
    gender="M" title="" function="Minister of Defence" strong="true" logicalId="18"/>
  <nameAlias wholeName="Sergueï Ivanov" nameLanguage="FR" strong="true" logicalId="19"/>
  <nameAlias wholeName="Seryoga" strong="false" logicalId="20"/>
  <citizenship countryIso2Code="RU" countryDescription="RUSSIAN FEDERATION" logicalId="21"/>
  <birthdate circa="false" city="Leningrad" birthdate="1965-03-12" countryIso2Code="RU"
    countryDescription="RUSSIAN FEDERATION" logicalId="22"/>
  <birthdate circa="true" year="1966" monthOfYear="4" countryIso2Code="00"
    countryDescription="UNKNOWN" logicalId="23"/>
  <birthdate circa="true" yearRangeFrom="1970" yearRangeTo="1971" logicalId="24"/>
  <identification identificationTypeCode="passport" number="750123456"
    countryIso2Code="RU" logicalId="25"/>
  <identification identificationTypeCode="id" number="ID-1" logicalId="26"/>
  <address city="Moscow" street="12 Tverskaya Street" zipCode="125009"
    countryIso2Code="RU" countryDescription="RUSSIAN FEDERATION" logicalId="27"/>
  <remark>Senior official.</remark>
 </sanctionEntity>
 <sanctionEntity euReferenceNumber="EU.9.98" logicalId="7002">
  <regulation programme="BLR" entryIntoForceDate="2021-06-24"/>
  <regulation programme="BLR" entryIntoForceDate="2020-10-02"/>
  <subjectType code="enterprise" classificationCode="E"/>
  <nameAlias wholeName="Fictional Holdings SA" strong="true"/>
  <identification identificationTypeCode="regnumber" number="RN-9"/>
 </sanctionEntity>
 <sanctionEntity logicalId="7003">
  <subjectType code="vessel"/>
  <nameAlias wholeName="Weak Only" strong="false"/>
 </sanctionEntity>
 <sanctionEntity logicalId="">
  <subjectType code="person"/>
  <nameAlias wholeName="No Id" strong="true"/>
 </sanctionEntity>
</export>
"""


def test_eu_person(tmp_path: Path) -> None:
    parsed = read_list("eu", _write(tmp_path, "eu.xml", EU_XML))
    assert (parsed.source, parsed.published) == ("eu", date(2026, 7, 14))
    person = _by_id(parsed)["eu-13"]
    assert person.schema == "Person"
    assert person.caption == "Sergei IVANOV"
    assert (person.reference, person.listed_on, person.programs) == (
        "EU.27.28",
        "2022-02-23",
        ("UKR",),
    )
    assert set(_props(person, "name")) == {"Sergei IVANOV", "Sergueï Ivanov"}
    assert _props(person, "weakAlias") == ("Seryoga",)
    assert (_props(person, "firstName"), _props(person, "lastName")) == (("Sergei",), ("IVANOV",))
    assert _props(person, "gender") == ("male",)
    assert _props(person, "position") == ("Minister of Defence",)
    assert _props(person, "nationality") == ("ru",)
    assert _props(person, "birthDate") == ("1965-03-12", "1966-04", "1970", "1971")
    assert _props(person, "birthPlace") == ("Leningrad, RUSSIAN FEDERATION",)
    assert _props(person, "passportNumber") == ("750123456",)
    assert _props(person, "idNumber") == ("ID-1",)
    assert _props(person, "address") == ("12 Tverskaya Street, Moscow, 125009, RUSSIAN FEDERATION",)
    assert _props(person, "country") == ("ru",)
    assert _props(person, "notes") == ("Senior official.",)


def test_eu_enterprise_weak_only_party_and_skipped(tmp_path: Path) -> None:
    parsed = read_list("eu", _write(tmp_path, "eu.xml", EU_XML))
    company = _by_id(parsed)["eu-7002"]
    assert company.schema == "Organization"
    assert company.listed_on == "2020-10-02"  # no designationDate: the earliest regulation
    assert _props(company, "registrationNumber") == ("RN-9",)
    other = _by_id(parsed)["eu-7003"]
    assert (other.schema, other.caption) == ("LegalEntity", "Weak Only")
    assert parsed.skipped == ("sanctionEntity 4: logicalId '' is not a number",)


def test_eu_wrong_root_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="not an EU Financial Sanctions Files XML file"):
        read_list("eu", _write(tmp_path, "eu.xml", UN_XML))


# --- UK ------------------------------------------------------------------------------------

CONLIST_HEADER = (
    "Name 6,Name 1,Name 2,Name 3,Name 4,Name 5,Title,Name Non-Latin Script,"
    "Non-Latin Script Type,Non-Latin Script Language,DOB,Town of Birth,Country of Birth,"
    "Nationality,Passport Number,Passport Details,National Identification Number,"
    "National Identification Details,Position,Address 1,Address 2,Address 3,Address 4,"
    "Address 5,Address 6,Post/Zip Code,Country,Other Information,Group Type,Alias Type,"
    "Alias Quality,Regime,Listed On,UK Sanctions List Date Designated,Last Updated,Group ID"
)


def _conlist_row(**cells: str) -> str:
    columns = CONLIST_HEADER.split(",")
    return ",".join(
        '"' + cells.get(c.replace(" ", "_").replace("/", "_"), "") + '"' for c in columns
    )


CONLIST = "\n".join(
    [
        "Last Updated,15/07/2026",
        CONLIST_HEADER,
        _conlist_row(
            Name_6="PETROV",
            Name_1="Igor",
            Name_2="Ivanovich",
            DOB="00/05/1958",
            Town_of_Birth="Moscow",
            Country_of_Birth="Russia",
            Nationality="(1) Russia (2) Cyprus",
            Passport_Number="(1) 750123456 (2) 750999",
            Position="Minister",
            Address_1="12 Tverskaya",
            Post_Zip_Code="125009",
            Country="Russia",
            Other_Information="(UK Sanctions List Ref):RUS0001 Official.",
            Group_Type="Individual",
            Alias_Type="Primary name",
            Alias_Quality="Good quality",
            Regime="Russia",
            Listed_On="14/08/2016",
            Group_ID="10001",
        ),
        _conlist_row(
            Name_6="PETROFF",
            Name_1="Igor",
            Group_Type="Individual",
            Alias_Type="AKA",
            Alias_Quality="Good quality",
            Regime="Russia",
            Group_ID="10001",
        ),
        _conlist_row(
            Name_6="Iggy",
            Group_Type="Individual",
            Alias_Type="AKA",
            Alias_Quality="Low quality",
            Group_ID="10001",
        ),
        _conlist_row(Name_6="ACME SHIPPING LLC", Group_Type="Entity", Alias_Type="Primary name",
                     Country="United Arab Emirates", Regime="Iran", Group_ID="20002"),
        _conlist_row(Name_6="OLD ACME", Group_Type="Entity", Alias_Type="FKA", Group_ID="20002"),
        _conlist_row(Name_6="NO GROUP", Group_Type="Entity", Alias_Type="Primary name"),
    ]
)  # fmt: skip


def test_uk_conlist_groups_rows_into_one_party(tmp_path: Path) -> None:
    parsed = read_list("uk", _write(tmp_path, "ConList.csv", CONLIST))
    assert (parsed.source, parsed.name) == ("uk", "UK OFSI consolidated list")
    assert parsed.published == date(2026, 7, 15)
    person = _by_id(parsed)["uk-10001"]
    assert person.schema == "Person"
    assert person.caption == "Igor Ivanovich PETROV"
    assert (person.reference, person.listed_on, person.programs) == (
        "RUS0001",
        "2016-08-14",
        ("Russia",),
    )
    assert _props(person, "alias") == ("Igor PETROFF",)
    assert _props(person, "weakAlias") == ("Iggy",)
    assert (_props(person, "firstName"), _props(person, "lastName")) == (("Igor",), ("PETROV",))
    assert _props(person, "birthDate") == ("1958-05",)
    assert _props(person, "birthPlace") == ("Moscow, Russia",)
    assert _props(person, "nationality") == ("cy", "ru")
    assert _props(person, "passportNumber") == ("750123456", "750999")
    assert _props(person, "address") == ("12 Tverskaya, 125009, Russia",)


def test_uk_conlist_entity_and_row_without_group(tmp_path: Path) -> None:
    parsed = read_list("uk", _write(tmp_path, "ConList.csv", CONLIST))
    company = _by_id(parsed)["uk-20002"]
    assert company.schema == "Organization"
    assert _props(company, "previousName") == ("OLD ACME",)
    assert _props(company, "country") == ("ae",)
    assert parsed.skipped == ("line 8: no Group ID",)


def test_uk_sanctions_list_fcdo_layout(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "Report Date: 13-Feb-2026",
            "Last Updated,Unique ID,OFSI Group ID,Name 6,Name 1,Name type,Alias strength,"
            "Regime Name,Designation Type,Date Designated,D.O.B,Nationality(/ies),"
            "Address Line 1,Address Country,Gender,IMO number",
            '12/01/2022,AFG0006,7172,AKHUND,MOHAMMAD,Primary Name,,"The Afghanistan Regs",'
            "Individual,25/01/2001,01/01/1958,Afghanistan,Kabul,Afghanistan,Male,",
            "12/01/2022,AFG0006,7172,AKHOND,MOHAMMED,Alias,Low quality,,Individual,,,,,,,",
            "12/01/2022,SHP0001,,OCEAN STAR,,Primary Name,,Iran,Ship,,,,,,,9187629",
        ]
    )
    parsed = read_list("uk", _write(tmp_path, "UK-Sanctions-List.csv", text))
    assert (parsed.name, parsed.published) == ("UK Sanctions List (FCDO)", date(2026, 2, 13))
    person = _by_id(parsed)["uk-AFG0006"]
    assert (person.caption, person.reference, person.listed_on) == (
        "MOHAMMAD AKHUND",
        "AFG0006",
        "2001-01-25",
    )
    assert _props(person, "weakAlias") == ("MOHAMMED AKHOND",)
    assert _props(person, "birthDate") == ("1958-01-01",)
    assert _props(person, "gender") == ("male",)
    ship = _by_id(parsed)["uk-SHP0001"]
    assert (ship.schema, _props(ship, "imoNumber")) == ("Vessel", ("9187629",))


def test_uk_wrong_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="no header row with 'Name 6'"):
        read_list("uk", _write(tmp_path, "ConList.csv", SDN))


# --- TradeGuard CSV ------------------------------------------------------------------------

WATCHLIST = "\ufeff" + "\n".join(
    [
        "id,schema,name,aliases,birth_date,nationality,country,id_numbers,programs,listed_on,notes",
        "p1,,John Doe,Johnny D; J. Doe,1970-05,Iran; GB,,X1;X2,internal,2024-01-31,Fraud ring",
        "c1,Company,Doe Trading Ltd,,,,United Kingdom,12345678,,,",
        "p2,Person,Bad Country,,,Narnia,,,,,",
        "p3,Person,Bad Date,,1970-13-01,,,,,,",
        "p1,Person,Duplicate,,,,,,,,",
        "p4,Alien,Bad Schema,,,,,,,,",
        "has space,Person,Bad Id,,,,,,,,",
        "p5,Person,,,,,,,,,",
    ]
)


def test_watchlist_csv(tmp_path: Path) -> None:
    parsed = read_list("csv", _write(tmp_path, "staff-fraud.csv", WATCHLIST))
    assert (parsed.source, parsed.name, parsed.published) == ("csv", "staff-fraud", None)
    person = _by_id(parsed)["csv-p1"]
    assert (person.schema, person.caption, person.programs) == ("Person", "John Doe", ("internal",))
    assert _props(person, "alias") == ("J. Doe", "Johnny D")
    assert _props(person, "birthDate") == ("1970-05",)
    assert _props(person, "nationality") == ("gb", "ir")
    assert _props(person, "idNumber") == ("X1", "X2")
    assert person.listed_on == "2024-01-31"
    company = _by_id(parsed)["csv-c1"]
    assert (company.schema, _props(company, "country")) == ("Company", ("gb",))
    assert parsed.skipped == (
        "line 4 (id p2): nationality: unknown country 'Narnia'",
        "line 5 (id p3): birth_date '1970-13-01' is not YYYY, YYYY-MM or YYYY-MM-DD",
        "line 6 (id p1): duplicate id csv-p1",
        "line 7 (id p4): schema 'Alien' is not one of Person, Organization, Company,"
        " LegalEntity, Vessel, Airplane",
        "line 8 (id has space): id must be 1-64 letters, digits or . _ : -",
        "line 9 (id p5): no name",
    )


@pytest.mark.parametrize(
    ("header", "why"),
    [
        ("id,name,aliasses", r"unknown columns \['aliasses'\]"),
        ("name,aliases", r"missing columns \['id'\]"),
        ("id,name,name", r"repeated columns \['name'\]"),
    ],
)
def test_watchlist_csv_with_wrong_columns_is_refused(tmp_path: Path, header: str, why: str) -> None:
    with pytest.raises(Invalid, match=why):
        read_list("csv", _write(tmp_path, "list.csv", header + "\nx,y,z\n"))


# --- the real lists ------------------------------------------------------------------------

needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"the shared sanctions data sets are not at {DATA}"
)


@needs_data
def test_real_ofac_sdn() -> None:
    parsed = read_list("ofac-sdn", DATA / "sdn.csv")
    assert 7_000 < len(parsed.entities) < 8_000
    bank = _by_id(parsed)["ofac-sdn-306"]
    assert bank.caption == "BANCO NACIONAL DE CUBA"
    assert "NATIONAL BANK OF CUBA" in _props(bank, "alias")
    assert len(parsed.skipped) <= 1  # sdn_comments.csv names entries of a later list


@needs_data
def test_real_ofac_consolidated() -> None:
    parsed = read_list("ofac-sdn", DATA / "cons_prim.csv")
    assert 400 < len(parsed.entities) < 500
    assert parsed.skipped == ()


@needs_data
def test_real_un_list() -> None:
    parsed = read_list("un", DATA / "UN_consolidated.xml")
    schemata = [e.schema for e in parsed.entities]
    assert (schemata.count("Person"), schemata.count("Organization")) == (730, 273)
    assert parsed.published == date(2026, 2, 27)
    assert parsed.skipped == ()
    assert all("name" in e.properties for e in parsed.entities)  # even when an alias repeats it
    badege = _by_id(parsed)["un-6907993"]
    assert (badege.caption, _props(badege, "nationality")) == ("ERIC BADEGE", ("cd",))
