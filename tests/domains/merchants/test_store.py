"""The versioned sanctions-list store, on SQLite and PostgreSQL: versions, diffs, the index."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.domains.merchants.listed import (
    FIRST,
    HALVORSEN,
    OKAFOR,
    SIDOROV,
    company,
    person,
    sha,
    un_list,
)
from tradeguard.db.session import unit_of_work
from tradeguard.domains.merchants.sanctions import store
from tradeguard.domains.merchants.sanctions.entities import ParsedList
from tradeguard.domains.merchants.sanctions.matching import Query
from tradeguard.domains.merchants.sanctions.tables import SanctionEntity, SanctionListVersion
from tradeguard.engine import audit
from tradeguard.errors import Invalid, NotFound
from tradeguard.runtime import Runtime

# The second version: Halvorsen added, Okafor changed (an alias), Golden Star removed.
OKAFOR_V2 = person(
    "un-1002",
    "Chinedu Emeka Okafor",
    birthDate=["1970"],
    nationality=["ng"],
    alias=["Chinedu Okafor"],
)
SECOND = (SIDOROV, OKAFOR_V2, HALVORSEN)


@pytest.fixture
def session(runtime: Runtime) -> Iterator[Session]:
    with unit_of_work(runtime.sessions) as s:
        yield s


def load(session: Session, parsed: ParsedList, digest: str, **kw: bool) -> store.LoadResult:
    return store.load_list(session, parsed, file_sha256=digest, actor="tester", **kw)


def version_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(SanctionListVersion)) or 0


def test_a_first_load_adds_every_entity_and_is_audited_without_names(session: Session) -> None:
    result = load(session, un_list(*FIRST), sha(*FIRST))
    v = result.version
    assert not result.unchanged
    assert (v.list_key, v.number, v.source) == ("un", 1, "un")
    assert (v.entity_count, v.added, v.changed, v.removed, v.skipped) == (3, 3, 0, 0, 0)
    assert [e.entity_id for e in v.diff.added] == ["un-1001", "un-1002", "un-1003"]
    assert v.label == "un v1, 2026-02-27"
    [entry] = audit.search(session, action="sanctions.load")
    assert entry.target_id == "un"
    assert entry.actor == "tester"
    assert entry.after is not None
    assert entry.after["file_sha256"] == sha(*FIRST)
    assert entry.after["id"] == v.id
    assert entry.after["added"] == 3
    assert "Sidorov" not in str(entry.after)


def test_a_second_version_records_exactly_what_was_added_changed_and_removed(
    session: Session,
) -> None:
    first = load(session, un_list(*FIRST), sha(*FIRST)).version
    second = load(session, un_list(*SECOND), sha(*SECOND)).version
    assert second.number == 2
    assert (second.entity_count, second.added, second.changed, second.removed) == (3, 1, 1, 1)
    assert [(e.entity_id, e.caption) for e in second.diff.added] == [
        ("un-1004", "Astrid Halvorsen")
    ]
    assert [e.entity_id for e in second.diff.changed] == ["un-1002"]
    assert [(e.entity_id, e.caption) for e in second.diff.removed] == [
        ("un-1003", "Golden Star Maritime Trading")
    ]
    assert store.version(session, second.id).diff == second.diff
    current = {e.entity_id: e for _, e in store.current_entries(session)}
    assert set(current) == {"un-1001", "un-1002", "un-1004"}
    assert current["un-1002"] == OKAFOR_V2
    removed = session.scalars(
        select(SanctionEntity).where(SanctionEntity.entity_id == "un-1003")
    ).one()
    assert removed.removed_version_id == second.id
    assert removed.first_version_id == first.id
    changed = store.changed_entries(session, [second.id])
    assert changed == [("un", OKAFOR_V2), ("un", HALVORSEN)]
    assert [v.id for v in store.versions(session)] == [second.id, first.id]
    assert [v.id for v in store.current_versions(session)] == [second.id]


def test_the_same_file_again_changes_nothing(session: Session) -> None:
    first = load(session, un_list(*FIRST), sha(*FIRST)).version
    again = load(session, un_list(*SECOND), sha(*FIRST))  # same digest: not even parsed
    assert again.unchanged
    assert again.version.id == first.id
    assert version_count(session) == 1
    assert len(audit.search(session, action="sanctions.load")) == 1


def test_a_new_file_with_the_same_content_is_a_version_without_changes(session: Session) -> None:
    load(session, un_list(*FIRST), sha(*FIRST))
    second = load(session, un_list(*FIRST), sha(*FIRST, salt="republished")).version
    assert (second.number, second.added, second.changed, second.removed) == (2, 0, 0, 0)
    assert store.changed_entries(session, [second.id]) == []


def test_an_empty_file_does_not_delist_everyone_unless_allowed(session: Session) -> None:
    load(session, un_list(*FIRST), sha(*FIRST))
    with pytest.raises(Invalid, match="truncated"):
        load(session, un_list(), sha())
    assert version_count(session) == 1
    emptied = load(session, un_list(), sha(), allow_empty=True).version
    assert (emptied.entity_count, emptied.removed) == (0, 3)
    assert store.current_entries(session) == []


def test_a_party_listed_again_counts_as_added(session: Session) -> None:
    load(session, un_list(*FIRST), sha(*FIRST))
    load(session, un_list(SIDOROV), sha(SIDOROV))
    third = load(session, un_list(*FIRST), sha(*FIRST, salt="3")).version
    assert (third.added, third.changed, third.removed) == (2, 0, 0)
    row = session.scalars(select(SanctionEntity).where(SanctionEntity.entity_id == "un-1003")).one()
    assert row.removed_version_id is None
    assert row.version_id == third.id


def test_lists_are_versioned_apart(session: Session) -> None:
    un = load(session, un_list(*FIRST), sha(*FIRST)).version
    csv = ParsedList(source="csv", name="Internal Watch List", published=None, entities=(SIDOROV,))
    mine = load(session, csv, sha(SIDOROV, salt="csv")).version
    assert (mine.list_key, mine.number, mine.added) == ("csv:internal-watch-list", 1, 1)
    assert {v.list_key for v in store.current_versions(session)} == {"un", mine.list_key}
    assert [v.id for v in store.versions(session, "un")] == [un.id]
    keys = sorted(k for k, e in store.current_entries(session) if e.entity_id == "un-1001")
    assert keys == ["csv:internal-watch-list", "un"]


@pytest.mark.parametrize(
    ("source", "name", "key"),
    [
        ("ofac-sdn", "OFAC Specially Designated Nationals", "ofac-sdn"),
        ("ofac-sdn", "OFAC Consolidated (non-SDN) list", "ofac-cons"),
        ("un", "UN list", "un"),
        ("eu", "EU financial sanctions", "eu"),
        ("uk", "UK sanctions list", "uk"),
        ("csv", "Partner Bank: PEP list (2026)", "csv:partner-bank-pep-list-2026"),
        ("csv", "!!!", "csv:unnamed"),
    ],
)
def test_list_keys(source: str, name: str, key: str) -> None:
    assert store.list_key(ParsedList(source=source, name=name, published=None, entities=())) == key


def test_unreadable_entities_are_skipped_with_a_reason(session: Session) -> None:
    long_id = person("un-" + "9" * 250, "Too Long")
    nul = person("un-2001", "Null\x00Byte")
    twice = replace(OKAFOR, caption="Another Okafor")
    parsed = replace(un_list(SIDOROV, OKAFOR, twice, long_id, nul), skipped=("record 7: no name",))
    v = load(session, parsed, sha(SIDOROV)).version
    assert (v.entity_count, v.skipped) == (2, 4)
    assert v.diff.skipped[0] == "record 7: no name"
    assert any("listed twice" in line for line in v.diff.skipped)
    assert any("NUL" in line for line in v.diff.skipped)


def test_the_stored_diff_is_capped_but_the_counts_are_exact(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "MAX_DIFF_ROWS", 2)
    many = [company(f"un-{i}", f"Company Number {i}") for i in range(5)]
    v = load(session, un_list(*many), sha(*many)).version
    assert v.added == 5
    assert len(v.diff.added) == 2


def test_an_unknown_version_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        store.version(session, 999)


def test_no_lists_loaded(session: Session) -> None:
    assert len(store.current_index(session)) == 0
    with pytest.raises(store.NoListsLoaded, match="load-sanctions"):
        store.require_lists(session)


def test_the_index_is_reused_until_a_list_changes(runtime: Runtime) -> None:
    with unit_of_work(runtime.sessions) as session:
        load(session, un_list(*FIRST), sha(*FIRST))
    with unit_of_work(runtime.sessions) as session:
        index = store.current_index(session)
    with unit_of_work(runtime.sessions) as session:
        assert store.current_index(session) is index
        load(session, un_list(*FIRST), sha(*FIRST))  # unchanged: same index
    with unit_of_work(runtime.sessions) as session:
        assert store.current_index(session) is index
        assert len(index) == 3
        load(session, un_list(*SECOND), sha(*SECOND))
    with unit_of_work(runtime.sessions) as session:
        rebuilt = store.current_index(session)
    assert rebuilt is not index
    assert len(rebuilt) == 3
    found = rebuilt.match(Query(schema="Person", properties={"name": ["Astrid Halvorsen"]}))
    assert found
    assert found[0].entity == HALVORSEN
    assert found[0].source == "un"


def test_concurrent_requests_build_the_index_once(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    with unit_of_work(runtime.sessions) as session:
        load(session, un_list(*FIRST), sha(*FIRST))
    store.SNAPSHOTS.invalidate()
    builds = []
    real_build = store._build

    def counting_build(*args: object, **kwargs: object) -> store.Snapshot:
        builds.append(1)
        return real_build(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "_build", counting_build)
    seen: list[object] = []

    def request() -> None:
        with unit_of_work(runtime.sessions) as session:
            seen.append(store.current_index(session))

    threads = [threading.Thread(target=request) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(builds) == 1
    assert len({id(i) for i in seen}) == 1
