"""Hostile and broken input gets a clear 4xx problem and leaves nothing stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.api.conftest import Api
from tests.factories import login
from tradeguard.db.session import unit_of_work
from tradeguard.engine.tables import CounterObservation, EventRecord


def stored(api: Api) -> tuple[int, int]:
    with unit_of_work(api.runtime.sessions) as session:
        events = session.scalar(select(func.count()).select_from(EventRecord)) or 0
        obs = session.scalar(select(func.count()).select_from(CounterObservation)) or 0
    return events, obs


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


def post_raw(api: Api, body: bytes, kind: str = "login", **headers: str) -> Any:
    return api.client.post(
        f"/v1/events/{kind}",
        content=body,
        headers={**api.ingest, "Content-Type": "application/json", **headers},
    )


@pytest.mark.parametrize(
    "body",
    [b"{", b"not json", b'{"id": "x",}', b"\xff\xfe\x00", b"", b'{"a": NaN'],
)
def test_malformed_json_is_400(api: Api, body: bytes) -> None:
    assert_problem(post_raw(api, body), 400)
    assert stored(api) == (0, 0)


@pytest.mark.parametrize("body", [b"[]", b'"a string"', b"42", b"null"])
def test_a_body_that_is_not_an_object_is_422(api: Api, body: bytes) -> None:
    assert_problem(post_raw(api, body), 422)


def test_unknown_kind_is_404_naming_the_known_ones(api: Api) -> None:
    body = assert_problem(api.client.post("/v1/events/wire", json=login(), headers=api.ingest), 404)
    assert "login" in body["detail"]


def test_oversized_body_is_413_and_nothing_is_stored(api: Api) -> None:
    limit = api.runtime.settings.max_body_bytes
    big = login(user_agent="A" * (limit + 10))
    assert_problem(api.client.post("/v1/events/login", json=big, headers=api.ingest), 413)
    assert stored(api) == (0, 0)


def test_oversized_body_with_a_lying_content_length_is_413(api: Api) -> None:
    limit = api.runtime.settings.max_body_bytes

    def chunks() -> Any:
        yield b'{"id": "big", "pad": "'
        for _ in range(limit // 1000 + 2):
            yield b"x" * 1000
        yield b'"}'

    response = api.client.post(
        "/v1/events/login",
        content=chunks(),
        headers={**api.ingest, "Content-Type": "application/json"},
    )
    assert_problem(response, 413)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"success": "yes"}, "success"),
        ({"success": 1}, "success"),
        ({"ip": "999.1.1.1"}, "ip"),
        ({"ip": 12345}, "ip"),
        ({"account_id": ""}, "account_id"),
        ({"account_id": ["a"]}, "account_id"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2026-03-02T09:00:00"}, "occurred_at"),
        ({"occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
        ({"id": ""}, "id"),
        ({"id": "has space"}, "id"),
        ({"id": "x" * 201}, "id"),
        ({"unexpected": 1}, "unexpected"),
        ({"user_agent": {"$gt": ""}}, "user_agent"),
    ],
)
def test_wrong_types_and_values_are_422_naming_the_field(
    api: Api, change: dict[str, Any], field: str
) -> None:
    body = assert_problem(
        api.client.post("/v1/events/login", json=login(**change), headers=api.ingest), 422
    )
    assert field in body["detail"]
    assert stored(api) == (0, 0)


def test_missing_fields_are_all_named(api: Api) -> None:
    body = assert_problem(
        api.client.post(
            "/v1/events/login",
            json={"id": "a", "occurred_at": "2026-01-01T00:00:00Z"},
            headers=api.ingest,
        ),
        422,
    )
    assert {e["field"] for e in body["errors"]} == {"account_id", "ip", "success"}


@pytest.mark.parametrize(
    "value",
    [
        "'; DROP TABLE events; --",
        "1' OR '1'='1",
        "\u202eevil\u202c",
        "名前😀ñ",
        "a\u0000b",
        "\ud800",
        "%s%s%s%n",
        "{{7*7}}",
    ],
)
def test_odd_strings_are_stored_verbatim_or_refused_cleanly(api: Api, value: str) -> None:
    event = login(account=value, user_agent=value)
    response = post_raw(api, json.dumps(event).encode())  # \u-escapes survive a lone surrogate
    if response.status_code == 201:
        read = api.client.get(f"/v1/events/login/{event['id']}", headers=api.analyst).json()
        assert read["fields"]["account_id"] == value.strip()
        assert stored(api)[0] == 1
    else:  # NUL is refused (422); a lone surrogate is not valid JSON (400)
        assert_problem(response, response.status_code)
        assert response.status_code in (400, 422)
        assert stored(api) == (0, 0)
    # the store still works afterwards
    assert api.client.post("/v1/events/login", json=login(), headers=api.ingest).status_code == 201


def test_sql_looking_query_parameters_are_harmless(api: Api) -> None:
    api.client.post("/v1/events/login", json=login(), headers=api.ingest)
    response = api.client.get(
        "/v1/events",
        params={"entity_value": "x' OR 1=1 --", "kind": "login'--"},
        headers=api.analyst,
    )
    assert response.status_code == 200
    assert response.json()["items"] == []
    assert stored(api)[0] == 1


def test_wrong_content_type_is_415(api: Api) -> None:
    response = api.client.post(
        "/v1/events/login", content=b"id=1", headers={**api.ingest, "Content-Type": "text/plain"}
    )
    assert_problem(response, 415)


def test_unknown_route_and_bad_query_are_problems(api: Api) -> None:
    assert_problem(api.client.get("/v1/nothing", headers=api.analyst), 404)
    assert_problem(api.client.get("/v1/events", params={"limit": "lots"}, headers=api.analyst), 422)
    assert_problem(
        api.client.get("/v1/events", params={"decision": "maybe"}, headers=api.analyst), 422
    )


def test_a_dead_counter_store_answers_503_and_stores_nothing(api: Api) -> None:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from tradeguard.engine.counters import RedisCounterStore

    dead = RedisCounterStore(
        redis.Redis(port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    )
    api.runtime.counters = lambda _session: dead
    body = assert_problem(
        api.client.post("/v1/events/login", json=login(), headers=api.ingest), 503
    )
    assert "unavailable" in body["detail"]
    assert stored(api) == (0, 0)


def test_times_without_an_offset_are_refused_not_guessed(api: Api) -> None:
    naive = {"since": "2026-03-01T00:00:00"}
    assert_problem(api.client.get("/v1/events", params=naive, headers=api.analyst), 422)
    entry = {
        "entity_type": "ip",
        "value": "192.0.2.1",
        "reason": "x",
        "expires_at": "2030-01-01T00:00:00",
    }
    assert_problem(api.client.post("/v1/lists/block", json=entry, headers=api.analyst), 422)
