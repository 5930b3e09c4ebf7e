"""Merchant applications end to end through the engine, on both stores and over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.conftest import Api
from tests.api.conftest import api as api  # the fixture, for the HTTP test
from tests.domains.merchants.applications import (
    JANE,
    application,
    apply,
    codes,
    load_un,
    reason,
)
from tests.domains.merchants.listed import HALVORSEN, OKAFOR, SIDOROV
from tests.factories import T0
from tradeguard.db.session import unit_of_work
from tradeguard.engine import history
from tradeguard.engine.backtest import backtest
from tradeguard.engine.rulepacks import ACTIVE
from tradeguard.engine.verdicts import Decision
from tradeguard.errors import Conflict
from tradeguard.runtime import Runtime

SIDOROV_DIRECTOR = {
    "name": "Ivan Sidorov",
    "birth_date": "1961-05-02",
    "nationality": "RU",
    "roles": ["director"],
}


def test_a_clean_merchant_is_allowed(runtime: Runtime) -> None:
    load_un(runtime, SIDOROV, OKAFOR)
    verdict = apply(runtime, application())
    assert verdict.decision is Decision.ALLOW, [s.reason for s in verdict.signals]
    assert verdict.score == 0
    assert verdict.rule_packs == ["merchant-default@1"]
    assert verdict.case_id is None


def test_without_sanctions_lists_an_application_goes_to_review(runtime: Runtime) -> None:
    verdict = apply(runtime, application())
    assert verdict.decision is Decision.REVIEW
    assert codes(verdict) == {"rule.sanctions_unavailable"}
    assert reason(verdict, "rule.sanctions_unavailable") == (
        "no sanctions list is loaded: the company and its people were not screened"
    )
    assert verdict.case_id is not None


def test_a_un_listed_director_blocks_with_the_list_and_score(runtime: Runtime) -> None:
    load_un(runtime, SIDOROV, OKAFOR)
    verdict = apply(runtime, application(people=[JANE, SIDOROV_DIRECTOR]))
    assert verdict.decision is Decision.BLOCK
    assert verdict.case_id is not None
    [signal] = [s for s in verdict.signals if s.code == "rule.sanctions_match"]
    assert signal.reason.startswith(
        "director 'Ivan Sidorov' matches UN-listed Ivan Petrovich Sidorov (score 0."
    )
    assert signal.reason.endswith("birth date match)")
    assert signal.evidence["list"] == "un"
    assert signal.evidence["entity"] == "un-1001"
    assert 0.7 <= signal.evidence["score"] <= 1.0


def test_the_stored_event_carries_the_checks_it_was_decided_on(runtime: Runtime) -> None:
    load_un(runtime, SIDOROV)
    event = application("m-2", people=[SIDOROV_DIRECTOR])
    apply(runtime, event)
    with unit_of_work(runtime.sessions) as session:
        stored = history.get(session, "merchant", event["id"])
    screening = stored.fields["checks"]["screening"]
    assert screening["lists"] == ["un v1, 2026-02-27"]
    [company, director] = screening["parties"]
    assert (company["party"], company["hits"]) == ("company", [])
    assert director["party"] == "people[0]"
    assert director["hits"][0]["entity_id"] == "un-1001"
    assert director["hits"][0]["schema"] == "Person"
    assert stored.entities["person"] == "ivan sidorov|1961-05-02"


def test_sent_checks_are_replaced_by_the_computed_ones(runtime: Runtime) -> None:
    load_un(runtime, SIDOROV)
    clean_claim = {
        "identifiers": [],
        "screening": {
            "lists": ["un v9, 2099-01-01"],
            "threshold": 0.99,
            "parties": [],
            "best_score": 0,
            "matches": 0,
        },
        "jurisdictions": [],
        "countries": {},
        "inconsistencies": [],
        "ring": [],
        "ring_merchants": 0,
    }
    event = application(people=[SIDOROV_DIRECTOR], checks=clean_claim)
    verdict = apply(runtime, event)
    assert verdict.decision is Decision.BLOCK
    with unit_of_work(runtime.sessions) as session:
        stored = history.get(session, "merchant", event["id"]).fields["checks"]
    assert stored["screening"]["lists"] == ["un v1, 2026-02-27"]
    assert stored["screening"]["matches"] == 1
    # Sending the same thing again replays; the checks are not the client's to change.
    assert apply(runtime, event).replayed


def test_the_same_application_replays_its_verdict_even_after_the_list_changed(
    runtime: Runtime,
) -> None:
    load_un(runtime, SIDOROV)
    event = application(people=[SIDOROV_DIRECTOR])
    first = apply(runtime, event)
    load_un(runtime, OKAFOR)  # Sidorov delisted
    again = apply(runtime, dict(event))
    assert again.replayed
    assert again.model_dump(exclude={"replayed"}) == first.model_dump(exclude={"replayed"})
    with pytest.raises(Conflict):
        apply(runtime, {**event, "legal_name": "Other Name Ltd"})
    # A new application under a new id is screened against today's lists.
    assert apply(runtime, application(people=[SIDOROV_DIRECTOR])).decision is Decision.ALLOW


def test_a_possible_match_goes_to_review(runtime: Runtime) -> None:
    load_un(runtime, HALVORSEN)  # born 1955-01-30
    verdict = apply(
        runtime,
        application(people=[{**JANE, "name": "Astrid Halvorsen", "birth_date": "1990-07-01"}]),
    )
    assert verdict.decision is Decision.REVIEW
    assert "rule.sanctions_possible_match" in codes(verdict)
    assert "rule.sanctions_match" not in codes(verdict)
    assert reason(verdict, "rule.sanctions_possible_match").startswith(
        "possible sanctions match: owner/director 'Astrid Halvorsen' resembles UN-listed"
    )


def test_a_back_test_sees_the_checks_serving_saw(runtime: Runtime) -> None:
    load_un(runtime, SIDOROV)
    apply(runtime, application(people=[SIDOROV_DIRECTOR]))
    apply(runtime, application())
    load_un(runtime, OKAFOR)  # what the lists say now does not matter to a back-test
    with unit_of_work(runtime.sessions) as session:
        [pack] = [p for p, _ in ACTIVE.get(session) if p.spec.id == "merchant-default"]
        report = backtest(
            session,
            pack=pack,
            since=T0 - timedelta(hours=1),
            until=T0 + timedelta(hours=1),
            counters=runtime.counters(session),
        )
    assert report.events == 2
    assert report.changed_decisions == 0
    assert report.decisions == {"block": 1, "allow": 1}


def test_the_generic_events_endpoint_runs_the_checks(api: Api) -> None:
    load_un(api.runtime, SIDOROV)
    event = application(people=[SIDOROV_DIRECTOR])
    response = api.client.post("/v1/events/merchant", json=event, headers=api.ingest)
    assert response.status_code == 201, response.text
    assert response.json()["decision"] == "block"
    again = api.client.post("/v1/events/merchant", json=event, headers=api.ingest)
    assert (again.status_code, again.json()["replayed"]) == (200, True)
    bad = api.client.post(
        "/v1/events/merchant", json={**event, "id": "x-1", "phone": "12"}, headers=api.ingest
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert "phone" in bad.json()["detail"]
