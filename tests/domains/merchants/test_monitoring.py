"""Re-screening after a list change: new hits become one event and one case, and only once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tests.domains.merchants.applications import JANE, application, apply, load_un
from tests.domains.merchants.listed import HALVORSEN, OKAFOR, SIDOROV, person
from tradeguard.db.session import unit_of_work
from tradeguard.domains.merchants import monitoring
from tradeguard.domains.merchants.sanctions import store
from tradeguard.engine import audit, history
from tradeguard.engine.tables import AuditEntry, CaseRecord, EventRecord
from tradeguard.engine.verdicts import Decision
from tradeguard.runtime import Runtime

ASTRID = {**JANE, "name": "Astrid Halvorsen", "birth_date": "1955-01-30", "nationality": "NO"}


def rescreen(rt: Runtime, *, delta: bool = True, **kw: Any) -> monitoring.RescreenReport:
    with unit_of_work(rt.sessions) as session:
        versions = [v.id for v in store.current_versions(session)]
        changed = store.changed_entries(session, versions) if delta else None
    return monitoring.rescreen(
        rt.sessions, rt.counters, actor="test", changed=changed, reason="test", **kw
    )


def count(rt: Runtime, table: Any, *where: Any) -> int:
    with unit_of_work(rt.sessions) as session:
        return session.scalar(select(func.count()).select_from(table).where(*where)) or 0


def test_a_newly_listed_owner_opens_exactly_one_case(runtime: Runtime) -> None:
    load_un(runtime, SIDOROV, OKAFOR)
    first = apply(runtime, application("m-astrid", people=[ASTRID]))
    apply(runtime, application("m-clean"))
    assert first.decision is Decision.ALLOW
    load_un(runtime, SIDOROV, OKAFOR, HALVORSEN)

    report = rescreen(runtime)
    assert (report.merchants, report.parties) == (2, 4)
    assert (report.new_hits, report.events, report.cases_opened) == (1, 1, 1)
    with unit_of_work(runtime.sessions) as session:
        [event] = history.search(session, kind="merchant_rescreen")
    assert event.fields["merchant_id"] == "m-astrid"
    assert event.fields["list_versions"] == ["un v2, 2026-02-27"]
    [party] = event.fields["new_hits"]
    assert (party["party"], party["hits"][0]["entity_id"]) == ("people[0]", "un-1004")
    assert event.verdict.decision is Decision.BLOCK
    [signal] = event.verdict.signals
    assert signal.reason.startswith(
        "after a list update, owner/director 'Astrid Halvorsen' matches UN-listed Astrid Halvorsen"
    )
    assert event.verdict.case_id is not None

    # Again, as a delta or in full: the hit is known now, nothing new opens.
    assert rescreen(runtime).events == 0
    full = rescreen(runtime, delta=False)
    assert (full.new_hits, full.events, full.cases_opened) == (0, 0, 0)
    assert count(runtime, EventRecord, EventRecord.kind == "merchant_rescreen") == 1
    assert count(runtime, CaseRecord, CaseRecord.kind == "merchant_rescreen") == 1


def test_hits_found_at_intake_are_not_reported_again(runtime: Runtime) -> None:
    load_un(runtime, SIDOROV)
    director = {**JANE, "name": "Ivan Sidorov", "birth_date": "1961-05-02", "roles": ["director"]}
    assert apply(runtime, application(people=[director])).decision is Decision.BLOCK
    # The listed party changes (a new alias): the merchant still matches, which it already did.
    changed = person(
        "un-1001",
        "Ivan Petrovich Sidorov",
        birthDate=["1961-05-02"],
        nationality=["ru"],
        alias=["Ivan Sidorov"],
    )
    load_un(runtime, changed)
    report = rescreen(runtime)
    assert report.new_hits == 0
    assert report.events == 0


def test_a_possible_match_that_becomes_a_match_is_new(runtime: Runtime) -> None:
    load_un(runtime, person("un-1004", "Astrid Halvorsen", birthDate=["1990-07-01"]))
    intake = apply(runtime, application("m-1", people=[ASTRID]))
    assert intake.decision is Decision.REVIEW  # a resemblance: birth dates differ
    load_un(runtime, HALVORSEN)  # the list corrects the birth date
    report = rescreen(runtime)
    assert (report.new_hits, report.events) == (1, 1)


def test_a_rescreen_is_audited_with_its_counts(runtime: Runtime) -> None:
    load_un(runtime, SIDOROV)
    apply(runtime, application())
    report = rescreen(runtime, delta=False)
    with unit_of_work(runtime.sessions) as session:
        [entry] = audit.search(session, action="merchants.rescreen")
    assert entry.target_id == "full"
    assert entry.after is not None
    assert entry.after["merchants"] == report.merchants == 1
    assert entry.after["events"] == 0
    assert entry.versions == ["un v1, 2026-02-27"]
    assert str(report).startswith("1 merchants (2 parties) screened in ")


def test_screening_in_worker_processes_finds_the_same(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(monitoring, "PARALLEL_FROM", 0)
    monkeypatch.setattr(monitoring, "CHUNK", 1)
    load_un(runtime, SIDOROV)
    for i in range(3):
        apply(runtime, application(f"m-{i}"))
    apply(runtime, application("m-astrid", people=[ASTRID]))
    load_un(runtime, SIDOROV, HALVORSEN)
    report = rescreen(runtime, delta=False, workers=2)
    assert (report.merchants, report.new_hits, report.events) == (4, 1, 1)


def test_without_lists_a_rescreen_is_refused(runtime: Runtime) -> None:
    with pytest.raises(store.NoListsLoaded):
        rescreen(runtime, delta=False)
    assert count(runtime, AuditEntry, AuditEntry.action == "merchants.rescreen") == 0
