"""Merchants over HTTP: where one stands, and its ring."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.test_hostile_input import assert_problem
from tests.domains.merchants.listed import FIRST, sha, un_list
from tests.domains.merchants.test_rings import SHARED_IBAN, application
from tradeguard.db.session import unit_of_work
from tradeguard.domains.merchants.sanctions import store


def post(api: Api, event: dict[str, Any]) -> Any:
    return api.client.post("/v1/events/merchant", json=event, headers=api.ingest)


@pytest.fixture
def pair(api: Api) -> Api:
    """Two sellers paid into one account; the second names a listed party as its owner."""
    with unit_of_work(api.runtime.sessions) as session:
        store.load_list(session, un_list(*FIRST), file_sha256=sha(*FIRST), actor="test")
    assert post(api, application("ada", 1, bank={"iban": SHARED_IBAN})).status_code == 201
    listed = {"name": "Ivan Petrovich Sidorov", "birth_date": "1961-05-02", "roles": ["owner"]}
    bo = application("bo/2", 2, bank={"iban": SHARED_IBAN}, people=[listed])
    assert post(api, bo).status_code == 201
    return api


def test_a_merchant_is_its_last_application_with_the_checks(pair: Api) -> None:
    response = pair.client.get("/v1/merchants/bo%2F2", headers=pair.analyst)
    assert response.status_code == 200
    body = response.json()
    assert (body["merchant_id"], body["legal_name"], body["decision"]) == (
        "bo/2",
        "Bo/2 Handel GmbH",
        "block",
    )
    assert body["case_id"] is not None
    [owner] = [p for p in body["checks"]["screening"]["parties"] if p["party"] == "people[0]"]
    assert owner["hits"][0]["schema"] == "Person"
    assert owner["hits"][0]["match"] is True
    assert body["checks"]["ring"][0]["merchant_id"] == "ada"


def test_the_ring_of_a_merchant(pair: Api) -> None:
    response = pair.client.get("/v1/merchants/ada/ring", headers=pair.analyst)
    assert response.status_code == 200
    body = response.json()
    assert body["merchant_id"] == "ada"
    assert [(m["merchant_id"], m["latest_decision"]) for m in body["merchants"]] == [
        ("ada", "allow"),
        ("bo/2", "block"),
    ]
    assert body["links"] == [
        {
            "merchant": "ada",
            "other": "bo/2",
            "entity_type": "bank_account",
            "entity_value": SHARED_IBAN,
        }
    ]
    slashed = pair.client.get("/v1/merchants/bo%2F2/ring?depth=1&ip=false", headers=pair.analyst)
    assert slashed.json()["merchant_id"] == "bo/2"


def test_ring_options_are_checked(pair: Api) -> None:
    for depth in (0, 4):
        url = f"/v1/merchants/ada/ring?depth={depth}"
        assert_problem(pair.client.get(url, headers=pair.analyst), 422)


def test_an_unknown_merchant_is_a_404_problem(pair: Api) -> None:
    for url in ("/v1/merchants/nobody", "/v1/merchants/nobody/ring"):
        body = assert_problem(pair.client.get(url, headers=pair.analyst), 404)
        assert "nobody" in body["detail"]


def test_merchants_are_for_analysts(pair: Api) -> None:
    for url in ("/v1/merchants/ada", "/v1/merchants/ada/ring"):
        assert_problem(pair.client.get(url, headers=pair.ingest), 403)
        assert_problem(pair.client.get(url), 401)
        assert pair.client.get(url, headers=pair.admin).status_code == 200
