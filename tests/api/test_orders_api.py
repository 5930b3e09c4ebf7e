"""Orders and the model registry over HTTP."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.domains.payments.shop import history
from tests.domains.payments.test_orders import SPLIT, _train_and_activate
from tests.factories import order, outcome


def test_an_order_and_its_chargeback_over_http(api: Api) -> None:
    event = order()
    response = api.client.post("/v1/events/order", json=event, headers=api.ingest)
    assert response.status_code == 201
    assert response.json()["rule_packs"] == ["order-default@1"]
    chargeback = outcome(event["id"], minutes=1)
    response = api.client.post("/v1/events/order_outcome", json=chargeback, headers=api.ingest)
    assert response.status_code == 201


def test_a_bad_order_is_a_422_problem_naming_the_field(api: Api) -> None:
    response = api.client.post(
        "/v1/events/order", json=order(currency="ZZZ", amount="0"), headers=api.ingest
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"currency", "amount"}


def test_the_model_registry_over_http(api: Api) -> None:
    for kind, event in history(days=40):
        api.client.post(f"/v1/events/{kind}", json=event, headers=api.ingest)
    first = _train_and_activate(api.runtime)
    second = _train_and_activate(api.runtime)
    listed = api.client.get("/v1/models", headers=api.analyst).json()
    assert [(m["version"], m["status"]) for m in listed] == [(2, "live"), (1, "inactive")]
    assert "artefact" not in listed[0]
    denied = api.client.post("/v1/models/order-fraud/rollback", headers=api.analyst)
    assert denied.status_code == 403
    back = api.client.post("/v1/models/order-fraud/rollback", headers=api.admin)
    assert (back.json()["version"], back.json()["status"]) == (first.version, "live")
    shadow = api.client.post(
        f"/v1/models/order-fraud/{second.version}/status",
        json={"status": "shadow"},
        headers=api.admin,
    )
    assert shadow.json()["status"] == "shadow"
    verdict = api.client.post("/v1/events/order", json=order(at=SPLIT), headers=api.ingest)
    assert verdict.json()["model_versions"] == [first.label, f"{second.label} (shadow)"]
    missing = api.client.get("/v1/models/order-fraud/99", headers=api.analyst)
    assert missing.status_code == 404
    bad = api.client.post(
        "/v1/models/order-fraud/1/status", json={"status": "on"}, headers=api.admin
    )
    assert bad.status_code == 422
