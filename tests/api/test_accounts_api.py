"""Sign-ups and linked-account clusters over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.test_hostile_input import assert_problem, stored
from tests.factories import signup


def post(api: Api, event: dict[str, Any]) -> Any:
    return api.client.post("/v1/events/signup", json=event, headers=api.ingest)


def test_a_signup_is_screened_by_the_default_pack(api: Api) -> None:
    response = post(api, signup())
    assert response.status_code == 201
    body = response.json()
    assert body["rule_packs"] == ["signup-default@1"]
    assert body["decision"] == "allow"


def test_the_signup_kind_is_listed_with_its_schema(api: Api) -> None:
    kinds = {k["name"]: k for k in api.client.get("/v1/kinds", headers=api.ingest).json()}
    assert {"email", "phone", "country", "ip", "account_type"} <= set(
        kinds["signup"]["fields"]["properties"]
    )


@pytest.mark.parametrize(
    ("bad", "field"),
    [({"ip": "not-an-ip"}, "ip"), ({"referrer": "x"}, "referrer"), ({"email": 7}, "email")],
)
def test_a_bad_signup_is_a_422_naming_the_field(api: Api, bad: dict[str, Any], field: str) -> None:
    body = assert_problem(post(api, signup(**bad)), 422)
    assert field in {e["field"] for e in body["errors"]}
    assert stored(api) == (0, 0)


def _shared_device(api: Api) -> None:
    for i, name in enumerate(("ann", "ben", "cy")):
        event = signup(
            account=name, email=f"{name}@example.com", device="tablet", ip=f"203.0.{i}.1"
        )
        assert post(api, event).status_code == 201


def test_the_cluster_of_an_account(api: Api) -> None:
    _shared_device(api)
    response = api.client.get("/v1/accounts/cy/cluster", headers=api.analyst)
    assert response.status_code == 200
    body = response.json()
    assert body["account_id"] == "cy"
    assert body["depth"] == 2
    assert [a["account_id"] for a in body["accounts"]] == ["cy", "ann", "ben"]
    assert body["accounts"][0]["reviewed"] == 1  # the third account on the tablet
    assert body["accounts"][0]["open_cases"] == 1
    assert {(k["account"], k["other"], k["entity_type"]) for k in body["links"]} == {
        ("cy", "ann", "device"),
        ("cy", "ben", "device"),  # one entity, one star: not every pair of its holders
    }
    assert body["truncated"] is False


def test_cluster_options_are_checked(api: Api) -> None:
    _shared_device(api)
    one = api.client.get("/v1/accounts/ann/cluster?depth=1&ip=false", headers=api.analyst)
    assert one.json()["depth"] == 1
    assert_problem(api.client.get("/v1/accounts/ann/cluster?depth=4", headers=api.analyst), 422)
    assert_problem(api.client.get("/v1/accounts/ann/cluster?depth=0", headers=api.analyst), 422)


def test_an_unknown_account_is_a_404_problem(api: Api) -> None:
    body = assert_problem(api.client.get("/v1/accounts/nobody/cluster", headers=api.analyst), 404)
    assert "nobody" in body["detail"]


def test_an_account_id_with_a_slash(api: Api) -> None:
    assert post(api, signup(account="shop/42")).status_code == 201
    response = api.client.get("/v1/accounts/shop%2F42/cluster", headers=api.analyst)
    assert response.status_code == 200
    assert response.json()["account_id"] == "shop/42"


def test_clusters_are_for_analysts(api: Api) -> None:
    _shared_device(api)
    assert_problem(api.client.get("/v1/accounts/ann/cluster", headers=api.ingest), 403)
    assert_problem(api.client.get("/v1/accounts/ann/cluster"), 401)
    assert api.client.get("/v1/accounts/ann/cluster", headers=api.admin).status_code == 200
