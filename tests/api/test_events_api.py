"""Ingestion over HTTP: verdicts, idempotency, authentication and roles."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.factories import login


def test_posting_an_event_returns_its_verdict(api: Api) -> None:
    response = api.client.post("/v1/events/login", json=login(), headers=api.ingest)
    assert response.status_code == 201
    body = response.json()
    assert body["decision"] == "allow"
    assert body["score"] == 0
    assert {"event_id", "signals", "rule_packs", "latency_ms"} <= body.keys()


def test_the_same_event_again_is_200_with_the_same_verdict(api: Api) -> None:
    event = login(success=False)
    first = api.client.post("/v1/events/login", json=event, headers=api.ingest)
    again = api.client.post("/v1/events/login", json=event, headers=api.ingest)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["replayed"] is True
    assert again.json()["decision"] == first.json()["decision"]


def test_a_changed_payload_under_the_same_id_is_409(api: Api) -> None:
    event = login(success=False)
    api.client.post("/v1/events/login", json=event, headers=api.ingest)
    response = api.client.post(
        "/v1/events/login", json={**event, "ip": "10.0.0.1"}, headers=api.ingest
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "different payload" in response.json()["detail"]


def test_signals_carry_readable_reasons(api: Api) -> None:
    for i in range(5):
        response = api.client.post(
            "/v1/events/login", json=login(success=False, minutes=i), headers=api.ingest
        )
    body = response.json()
    assert body["decision"] == "challenge"
    [signal] = body["signals"]
    assert signal["code"] == "rule.brute_force_account"
    assert signal["reason"].startswith("5 failed logins on this account")


def test_read_back_event_and_verdict(api: Api) -> None:
    event = login()
    api.client.post("/v1/events/login", json=event, headers=api.ingest)
    read = api.client.get(f"/v1/events/login/{event['id']}", headers=api.ingest)
    assert read.status_code == 200
    assert read.json()["fields"]["account_id"] == "acct-1"
    verdict = api.client.get(f"/v1/verdicts/login/{event['id']}", headers=api.analyst)
    assert verdict.json()["decision"] == "allow"
    listing = api.client.get("/v1/events", params={"entity_value": "acct-1"}, headers=api.analyst)
    assert [e["event_id"] for e in listing.json()["items"]] == [event["id"]]
    missing = api.client.get("/v1/events/login/nope", headers=api.analyst)
    assert missing.status_code == 404


def test_without_a_key_is_401(api: Api) -> None:
    response = api.client.post("/v1/events/login", json=login())
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["title"] == "Not authenticated"


def test_a_wrong_or_malformed_key_is_401(api: Api) -> None:
    for token in ("tg_00000000_nope", "garbage", "tg_x_y"):
        response = api.client.get("/v1/cases", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token


def test_roles_limit_what_a_key_may_do(api: Api) -> None:
    assert api.client.get("/v1/cases", headers=api.ingest).status_code == 403
    assert api.client.post("/v1/events/login", json=login(), headers=api.analyst).status_code == 403
    assert api.client.get("/v1/keys", headers=api.analyst).status_code == 403
    assert api.client.get("/v1/keys", headers=api.admin).status_code == 200


def test_a_revoked_key_stops_working(api: Api) -> None:
    created = api.client.post(
        "/v1/keys", json={"role": "ingest", "name": "pos"}, headers=api.admin
    ).json()
    headers = {"Authorization": f"Bearer {created['key']}"}
    assert api.client.post("/v1/events/login", json=login(), headers=headers).status_code == 201
    assert api.client.delete(f"/v1/keys/{created['id']}", headers=api.admin).status_code == 200
    assert api.client.post("/v1/events/login", json=login(), headers=headers).status_code == 401
    listed = api.client.get("/v1/keys", headers=api.admin).json()
    assert all("key" not in k and "key_sha256" not in k for k in listed)


def test_openapi_docs_are_served(api: Api) -> None:
    assert api.client.get("/docs").status_code == 200
    paths = api.client.get("/openapi.json").json()["paths"]
    assert "/v1/events/{kind}" in paths
