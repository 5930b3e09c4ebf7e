"""Sanctions matching: logic-v2 behind the in-process candidate index, on small invented lists."""

from __future__ import annotations

import csv
import uuid
from pathlib import Path

import pytest
from followthemoney import model
from nomenklatura.matching import LogicV2
from normality import normalize

from tests.domains.merchants.listed import (
    FIRST,
    GOLDEN_STAR,
    HALVORSEN,
    OKAFOR,
    SIDOROV,
    company,
    person,
)
from tradeguard.domains.merchants.sanctions.entities import ListedEntity
from tradeguard.domains.merchants.sanctions.matching import (
    MAX_VALUE_CHARS,
    MAX_VALUES,
    Query,
    SanctionsIndex,
    company_query,
    listed_proxy,
    person_query,
)
from tradeguard.domains.merchants.sanctions.scoring import IndexedLogicV2

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "sanctions"

PUTIN = person("un-2001", "Владимир Владимирович Путин", alias=["Vladimir Putin"])
SIDOROV_CO = company("un-2002", "Ivan Petrovich Sidorov", registrationNumber=["HRB 12345"])
VESSEL = ListedEntity.create(
    entity_id="un-2003",
    schema="Vessel",
    caption="Golden Star",
    properties={"name": ["Golden Star"]},
)
NOOR = person("un-2004", "Abdul Karim Noorzai", alias=["Haji Karim Sahib"], weakAlias=["Kaka"])


LISTED = (*FIRST, HALVORSEN, PUTIN, SIDOROV_CO, VESSEL, NOOR)


@pytest.fixture(scope="module")
def index() -> SanctionsIndex:
    return SanctionsIndex.build(("un", entity) for entity in LISTED)


def _ids(index: SanctionsIndex, query: Query) -> list[str]:
    return [m.entity.entity_id for m in index.match(query)]


def test_exact_name_matches_with_an_explanation(index: SanctionsIndex) -> None:
    [hit] = index.match(person_query("Ivan Petrovich Sidorov"))
    assert (hit.entity.entity_id, hit.source, hit.score, hit.match) == ("un-1001", "un", 1.0, True)
    name = hit.features["name_match"]
    assert (name.query, name.candidate) == ("Ivan Petrovich Sidorov", "Ivan Petrovich Sidorov")
    assert "literalMatch" in str(name.detail)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Иван Петрович Сидоров", "un-1001"),  # Cyrillic query, Latin listing
        ("Vladimir Putin", "un-2001"),  # Latin query, Cyrillic listing (and alias)
        ("Владимир Путин", "un-2001"),
        ("IVAN  SIDOROV", "un-1001"),  # case, spacing, a missing middle name
        ("Chinedu Okafor", "un-1002"),
    ],
)
def test_transliterated_and_partial_names_match(
    index: SanctionsIndex, name: str, expected: str
) -> None:
    hits = index.match(person_query(name))
    assert hits[0].entity.entity_id == expected
    assert hits[0].match


def test_birth_date_mismatch_lowers_the_score_and_says_why(index: SanctionsIndex) -> None:
    same = index.match(person_query("Ivan Sidorov", birth_date="1961-05-02"))[0]
    other = index.match(person_query("Ivan Sidorov", birth_date="1975-01-01"), cutoff=0.0)[0]
    assert other.entity.entity_id == same.entity.entity_id == "un-1001"
    assert other.score < same.score
    assert not other.match
    assert other.features["dob_year_disjoint"].score == 1.0
    assert other.features["dob_year_disjoint"].detail == "Birth years: 1975 vs 1961"
    assert same.features["dob_day_disjoint"].detail == "Birth day match: 1961-05-02"


def test_nationality_mismatch_is_explained(index: SanctionsIndex) -> None:
    plain = index.match(person_query("Ivan Petrovich Sidorov", nationality="ru"))[0]
    french = index.match(person_query("Ivan Petrovich Sidorov", nationality="fr"))[0]
    assert "country_mismatch" not in plain.features
    assert french.score < plain.score
    mismatch = french.features["country_mismatch"]
    assert mismatch.score == 1.0
    assert "['fr'] / ['ru']" in str(mismatch.detail)


def test_a_person_is_not_compared_with_a_company_or_a_vessel(index: SanctionsIndex) -> None:
    # "Ivan Petrovich Sidorov" is both a listed person and a listed company's name.
    assert _ids(index, person_query("Ivan Petrovich Sidorov")) == ["un-1001"]
    assert _ids(index, company_query("Ivan Petrovich Sidorov")) == ["un-2002"]
    assert "un-2003" not in _ids(index, company_query("Golden Star"))  # a vessel, not a company
    vessel = Query(schema="Vessel", properties={"name": ["Golden Star"]})
    assert _ids(index, vessel) == ["un-2003"]
    legal = Query(schema="LegalEntity", properties={"name": ["Ivan Petrovich Sidorov"]})
    assert set(_ids(index, legal)) == {"un-1001", "un-2002"}


def test_each_query_gets_its_own_scores(index: SanctionsIndex) -> None:
    first = index.match(person_query("Ivan Petrovich Sidorov"))
    second = index.match(person_query("Chinedu Emeka Okafor"))
    assert [m.entity.entity_id for m in first] == ["un-1001"]
    assert [m.entity.entity_id for m in second] == ["un-1002"]
    query = person_query("Chinedu Emeka Okafor")
    assert query.proxy().id != query.proxy().id


def test_a_reused_query_id_cannot_leak_names_between_queries(
    index: SanctionsIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each query carries its own name analysis, so even a fixed id would be safe here."""
    fixed = uuid.uuid4()
    monkeypatch.setattr(uuid, "uuid4", lambda: fixed)
    assert _ids(index, person_query("Ivan Petrovich Sidorov")) == ["un-1001"]
    assert _ids(index, person_query("Chinedu Emeka Okafor")) == ["un-1002"]


def test_plain_logic_v2_reuses_names_cached_for_an_entity_id() -> None:
    """Why query ids are fresh all the same: nomenklatura's own name_match caches by id."""
    config = LogicV2.default_config()
    okafor = listed_proxy(OKAFOR)
    same_id = f"query-{uuid.uuid4().hex}"
    first = model.make_entity("Person")
    first.id = same_id
    first.add("name", "Ivan Petrovich Sidorov")
    LogicV2.compare(first, listed_proxy(SIDOROV), config)
    second = model.make_entity("Person")
    second.id = same_id
    second.add("name", "Chinedu Emeka Okafor")
    assert LogicV2.compare(second, okafor, config).score < 0.5  # scored as "Sidorov"
    second.id = f"query-{uuid.uuid4().hex}"
    assert LogicV2.compare(second, okafor, config).score == 1.0


QUERIES = [
    person_query("Ivan Sidorov", birth_date="1975-01-01", nationality="fr"),
    person_query("Иван Петрович Сидоров"),
    person_query("Vladimir Putin", birth_date="1952-10-07"),
    person_query("Haji Karim"),
    person_query("Kaka"),
    person_query("Okafor, Chinedu"),
    company_query("Golden Star Maritime Trading LLC", country="kp"),
    company_query("Something Else Ltd", registration_number="HRB 12345"),
    Query(schema="LegalEntity", properties={"name": ["Ivan P. Sidorov"]}),
    Query(schema="Vessel", properties={"name": ["Golden Star 2"]}),
    Query(
        schema="Person",
        properties={"name": ["Sidorov Ivan"], "firstName": ["Ivan"], "lastName": ["Sidorov"]},
    ),
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: str(q.properties["name"][0]))
def test_scores_and_explanations_are_nomenklatura_logic_v2(query: Query) -> None:
    """The name analysis is done once, but the scoring must stay logic-v2's own."""
    config = LogicV2.default_config()
    for entity in LISTED:
        ours = IndexedLogicV2.compare(query.proxy(), listed_proxy(entity), config)
        theirs = LogicV2.compare(query.proxy(), listed_proxy(entity), config)
        assert ours.score == theirs.score, entity.entity_id
        assert ours.explanations == theirs.explanations, entity.entity_id


def test_threshold_cutoff_and_limit(index: SanctionsIndex) -> None:
    query = person_query("Ivan Sidorov")  # 0.91: not the full name
    [hit] = index.match(query)
    assert hit.match
    assert 0.7 <= hit.score < 1.0
    assert not index.match(query, threshold=0.95)[0].match
    assert index.match(query, cutoff=0.95) == []
    family = Query(schema="LegalEntity", properties={"name": ["Ivan Petrovich Sidorov"]})
    assert len(index.match(family)) == 2
    assert len(index.match(family, limit=1)) == 1
    assert index.match(family, limit=0) == []


def test_results_are_best_first(index: SanctionsIndex) -> None:
    hits = index.match(person_query("Ivan Okafor"), cutoff=0.0, limit=10)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_aliases_and_weak_aliases_count(index: SanctionsIndex) -> None:
    [alias] = index.match(person_query("Haji Karim Sahib"))
    assert alias.entity.entity_id == "un-2004"
    assert alias.match
    assert alias.features["name_match"].candidate == "Haji Karim Sahib"
    weak = index.match(person_query("Kaka"))
    assert [h.entity.entity_id for h in weak] == ["un-2004"]
    assert "weak_alias_match" in weak[0].features


def test_a_shared_identifier_matches_without_the_name(index: SanctionsIndex) -> None:
    [hit] = index.match(company_query("Something Else Ltd", registration_number="HRB-12345"))
    assert hit.entity.entity_id == "un-2002"
    assert hit.match
    assert hit.features["identifier_match"].detail == "Matched identifiers: HRB12345"


def test_company_names_match_across_legal_forms(index: SanctionsIndex) -> None:
    hits = index.match(company_query("Golden Star Maritime Trading LLC", country="kp"))
    assert hits[0].entity.entity_id == GOLDEN_STAR.entity_id
    assert hits[0].match


def test_an_empty_index_finds_nothing() -> None:
    empty = SanctionsIndex.build([])
    assert len(empty) == 0
    assert empty.match(person_query("Ivan Petrovich Sidorov")) == []


def test_a_changed_entity_is_matched_on_its_new_names(index: SanctionsIndex) -> None:
    index.match(person_query("Astrid Halvorsen"))  # the old names are now in logic-v2's cache
    renamed = person("un-1004", "Ingrid Solberg", birthDate=["1955-01-30"])
    rebuilt = SanctionsIndex.build([("un", renamed)])
    assert rebuilt.match(person_query("Astrid Halvorsen")) == []
    assert [m.entity.entity_id for m in rebuilt.match(person_query("Ingrid Solberg"))] == [
        "un-1004"
    ]


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "\x00\u202e\U0001f600",
        "x" * MAX_VALUE_CHARS,
        " ".join(["Sidorov Ivan Okafor"] * 40)[:MAX_VALUE_CHARS],
        "'; DROP TABLE listed; --",
        "%s %n {0} ${jndi:ldap://x}",
    ],
)
def test_hostile_and_blank_names_do_not_crash(index: SanctionsIndex, name: str) -> None:
    for hit in index.match(person_query(name)):
        assert 0.0 <= hit.score <= 1.0


def test_many_long_names_are_bounded_work(index: SanctionsIndex) -> None:
    names = [f"Ivan Petrovich Sidorov {i} " + "Okafor " * 70 for i in range(MAX_VALUES)]
    query = Query(schema="Person", properties={"name": [n[:MAX_VALUE_CHARS] for n in names]})
    assert isinstance(index.match(query), list)


@pytest.mark.parametrize(
    ("schema", "properties", "message"),
    [
        ("Persn", {"name": ["A"]}, "cannot screen a 'Persn'"),
        ("Address", {"full": ["1 Main St"]}, "cannot screen a 'Address'"),
        ("Person", {"shoeSize": ["42"]}, "Person has no property 'shoeSize'"),
        ("Person", {"addressEntity": ["x"]}, "has no property 'addressEntity'"),
        ("Person", {"name": "Ivan"}, "expected a list of values"),
        ("Person", {"name": [42]}, "42 is not text"),
        ("Person", {"birthDate": ["31/31/1999"]}, "is not a valid date"),
        ("Person", {"nationality": ["Atlantis"]}, "is not a valid country"),
        ("Person", {"name": ["x" * (MAX_VALUE_CHARS + 1)]}, "longer than 500"),
        ("Person", {"name": [f"n{i}" for i in range(MAX_VALUES + 1)]}, "more than 10 values"),
    ],
)
def test_invalid_queries_are_refused_readably(
    schema: str, properties: dict[str, list[object]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Query.from_properties(schema, properties)  # type: ignore[arg-type]


def test_queries_are_cleaned() -> None:
    query = person_query("  Ivan Sidorov ", birth_date="1961-05-02", nationality="Russia")
    assert query.properties == {
        "name": ("Ivan Sidorov",),
        "birthDate": ("1961-05-02",),
        "nationality": ("ru",),
    }
    assert person_query("Ivan").properties == {"name": ("Ivan",)}


needs_data = pytest.mark.skipif(
    not (DATA / "UN_consolidated.xml").exists(),
    reason=f"the real UN list is not in {DATA} (shared data folder absent)",
)


@needs_data
def test_the_real_un_list_finds_its_listed_people() -> None:
    from tradeguard.domains.merchants.sanctions.formats import read_list

    parsed = read_list("un", DATA / "UN_consolidated.xml")
    index = SanctionsIndex.build(("un", e) for e in parsed.entities)
    with (DATA / "un-people-queries.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[:40]
    config = LogicV2.default_config()
    for row in rows:
        query = person_query(row["full_name"], row["date_of_birth"] or None, row["nationality"])
        hits = index.match(query)
        names = {_words(n) for h in hits if h.match for n in h.entity.names()}
        assert _words(row["full_name"]) in names, row["full_name"]
        for hit in hits:  # the same score nomenklatura's logic-v2 gives
            plain = LogicV2.compare(query.proxy(), listed_proxy(hit.entity), config)
            assert plain.score == hit.score


def _words(name: str) -> tuple[str, ...]:
    return tuple(sorted((normalize(name, ascii=True) or "").split()))
