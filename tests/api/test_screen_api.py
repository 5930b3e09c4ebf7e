"""``POST /v1/screen`` and ``/v1/match/{dataset}``: yente's request and answer, and refusals."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import Api
from tests.domains.merchants.listed import FIRST, SIDOROV, person, sha, un_list
from tradeguard.db.session import unit_of_work
from tradeguard.domains.merchants.sanctions import store
from tradeguard.domains.merchants.sanctions.entities import ParsedList

# Field names of yente's EntityMatchResponse, EntityMatches and ScoredEntityResponse.
RESPONSE_KEYS = {"responses", "matcher", "limit"}
MATCHES_KEYS = {"status", "results", "total", "query"}
RESULT_KEYS = {
    "id",
    "caption",
    "schema",
    "properties",
    "datasets",
    "referents",
    "target",
    "first_seen",
    "last_seen",
    "last_change",
    "score",
    "match",
    "features",
    "explanations",
    "token",
}
EXPLANATION_KEYS = {"detail", "score", "query", "candidate"}


def sidorov_query(**extra: list[str]) -> dict[str, Any]:
    return {
        "schema": "Person",
        "properties": {
            "name": ["Ivan Petrovich Sidorov"],
            "birthDate": ["1961-05-02"],
            "nationality": ["ru"],
            **extra,
        },
    }


def loaded(api: Api, *lists: ParsedList) -> None:
    with unit_of_work(api.runtime.sessions) as session:
        for parsed in lists or (un_list(*FIRST),):
            store.load_list(
                session, parsed, file_sha256=sha(*parsed.entities, salt=parsed.name), actor="t"
            )


def post(api: Api, body: Any, path: str = "/v1/screen", **params: Any) -> Any:
    return api.client.post(path, json=body, params=params, headers=api.ingest)


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def test_the_answer_has_yentes_shape(api: Api) -> None:
    loaded(api)
    response = post(api, {"queries": {"q1": sidorov_query()}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == RESPONSE_KEYS
    assert body["limit"] == 5
    assert body["matcher"]["name"] == "logic-v2"
    assert body["matcher"]["lists"] == ["un v1, 2026-02-27"]
    answer = body["responses"]["q1"]
    assert set(answer) == MATCHES_KEYS
    assert answer["status"] == 200
    assert answer["query"]["schema"] == "Person"
    assert answer["query"]["properties"]["name"] == ["Ivan Petrovich Sidorov"]
    best = answer["results"][0]
    assert set(best) == RESULT_KEYS
    assert best["id"] == "un-1001"
    assert best["caption"] == "Ivan Petrovich Sidorov"
    assert best["schema"] == "Person"
    assert best["datasets"] == ["un"]
    assert best["properties"]["birthDate"] == ["1961-05-02"]
    assert best["match"] is True
    assert best["score"] >= 0.7
    assert best["target"] is True
    assert best["token"] is None
    assert best["first_seen"] is not None
    assert best["last_change"] is not None
    assert best["features"]
    for name, explanation in best["explanations"].items():
        assert set(explanation) == EXPLANATION_KEYS
        assert best["features"][name] == explanation["score"]
    assert answer["total"] == {"value": len(answer["results"]), "relation": "eq"}


def test_the_yente_path_answers_for_every_list_or_one(api: Api) -> None:
    other = ParsedList(source="csv", name="Watch", published=None, entities=(SIDOROV,))
    loaded(api, un_list(*FIRST), other)
    body = {"queries": {"a": sidorov_query()}}
    everywhere = post(api, body, "/v1/match/default").json()["responses"]["a"]["results"]
    assert {r["datasets"][0] for r in everywhere} == {"un", "csv:watch"}
    only = post(api, body, "/v1/match/csv:watch").json()["responses"]["a"]["results"]
    assert [r["datasets"] for r in only] == [["csv:watch"]]
    assert "un" in problem(post(api, body, "/v1/match/eu"), 404)["detail"]


def test_threshold_cutoff_and_limit(api: Api) -> None:
    many = [person(f"un-{i}", f"Ivan Sidorov {chr(65 + i)}") for i in range(6)]
    loaded(api, un_list(SIDOROV, *many))
    body = {"queries": {"q": {"schema": "Person", "properties": {"name": ["Ivan Sidorov"]}}}}
    default = post(api, body).json()["responses"]["q"]
    assert len(default["results"]) == 5
    assert default["total"]["value"] > 5
    one = post(api, body, limit=1).json()
    assert one["limit"] == 1
    assert len(one["responses"]["q"]["results"]) == 1
    assert one["responses"]["q"]["total"] == default["total"]
    strict = post(api, body, threshold=1.0).json()["responses"]["q"]["results"]
    assert strict
    assert not any(r["match"] for r in strict if r["score"] < 1.0)
    high = post(api, body, cutoff=0.99).json()["responses"]["q"]["results"]
    assert all(r["score"] >= 0.99 for r in high)
    assert len(high) < len(default["results"])
    assert problem(post(api, body, limit=501), 422)
    assert problem(post(api, body, threshold=1.5), 422)


def test_a_single_string_value_is_taken_as_yente_does(api: Api) -> None:
    loaded(api)
    body = {"queries": {"q": {"schema": "Person", "properties": {"name": "Ivan Sidorov"}}}}
    response = post(api, body)
    assert response.status_code == 200, response.text
    assert response.json()["responses"]["q"]["query"]["properties"]["name"] == ["Ivan Sidorov"]


def test_only_logic_v2_is_offered(api: Api) -> None:
    loaded(api)
    body = {"queries": {"q": sidorov_query()}}
    assert post(api, body, algorithm="best").status_code == 200
    assert "logic-v2" in problem(post(api, body, algorithm="name-based"), 422)["detail"]


def test_no_lists_loaded_is_503(api: Api) -> None:
    body = problem(post(api, {"queries": {"q": sidorov_query()}}), 503)
    assert "load-sanctions" in body["detail"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"schema": "Address", "properties": {"full": ["X"]}}, "queries.q"),
        ({"schema": "Nonsense", "properties": {"name": ["X"]}}, "queries.q"),
        ({"schema": "Person", "properties": {"shoeSize": ["42"]}}, "queries.q"),
        ({"schema": "Person", "properties": {"birthDate": ["yesterday"]}}, "queries.q"),
        ({"schema": "Person", "properties": {"name": [42]}}, "queries.q.properties.name"),
        ({"schema": "Person"}, "queries.q.properties"),
        ({"schema": "Person", "properties": {}, "extra": 1}, "queries.q.extra"),
    ],
)
def test_an_invalid_query_is_422_naming_it(api: Api, query: dict[str, Any], field: str) -> None:
    loaded(api)
    body = problem(post(api, {"queries": {"q": query}}), 422)
    assert body["errors"][0]["field"].startswith(field)


def test_at_most_100_queries(api: Api) -> None:
    loaded(api)
    queries = {f"q{i}": sidorov_query() for i in range(101)}
    assert "queries" in problem(post(api, {"queries": queries}), 422)["detail"]
    assert problem(post(api, {"queries": {}}), 422)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"queries": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_001,
        b"{",
        b"\xff\xfe",
        b"",
    ],
)
def test_hostile_bodies_are_4xx(api: Api, body: bytes) -> None:
    loaded(api)
    response = api.client.post(
        "/v1/screen", content=body, headers={**api.ingest, "Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "properties",
    [
        {"name": ["A" * 600]},
        {"name": [f"Name {i}" for i in range(50)]},
        {"name": [["nested"]]},
        {f"p{i}": ["x"] for i in range(40)},
    ],
)
def test_huge_or_odd_values_are_422(api: Api, properties: dict[str, Any]) -> None:
    loaded(api)
    problem(post(api, {"queries": {"q": {"schema": "Person", "properties": properties}}}), 422)


def test_an_oversized_body_is_413(api: Api) -> None:
    names = ["N" * 400] * 5_000
    body = {"queries": {"q": {"schema": "Person", "properties": {"name": names}}}}
    problem(post(api, body), 413)


def test_callers_need_a_key_and_lists_need_an_analyst(api: Api) -> None:
    loaded(api)
    body = {"queries": {"q": sidorov_query()}}
    problem(api.client.post("/v1/screen", json=body), 401)
    assert api.client.post("/v1/screen", json=body, headers=api.analyst).status_code == 200
    problem(api.client.get("/v1/sanctions/lists", headers=api.ingest), 403)
    problem(api.client.get("/v1/sanctions/versions/1", headers=api.ingest), 403)


def test_list_versions_and_their_diffs(api: Api) -> None:
    loaded(api)
    [current] = api.client.get("/v1/sanctions/lists", headers=api.analyst).json()
    assert current["list_key"] == "un"
    assert current["entity_count"] == 3
    assert current["label"] == "un v1, 2026-02-27"
    detail = api.client.get(f"/v1/sanctions/versions/{current['id']}", headers=api.analyst)
    assert [e["entity_id"] for e in detail.json()["diff"]["added"]] == [
        "un-1001",
        "un-1002",
        "un-1003",
    ]
    problem(api.client.get("/v1/sanctions/versions/9999", headers=api.analyst), 404)


def test_screened_names_stay_out_of_the_log(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    loaded(api)
    with caplog.at_level("INFO", logger="tradeguard.screening"):
        post(api, {"queries": {"q": sidorov_query()}})
    assert "1 queries" in caplog.text
    assert "Sidorov" not in caplog.text


def test_the_docs_describe_the_body(api: Api) -> None:
    doc = api.client.get("/openapi.json").json()
    body = doc["paths"]["/v1/screen"]["post"]["requestBody"]["content"]["application/json"]
    assert "queries" in body["schema"]["properties"]
    assert "$ref" not in str(body)


texts = st.text(max_size=30) | st.sampled_from(["Ivan Sidorov", "1961-05-02", "ru", "", " "])
values = texts | st.lists(texts | st.integers() | st.none(), max_size=4) | st.integers()
queries = st.fixed_dictionaries(
    {
        "schema": st.sampled_from(["Person", "Company", "LegalEntity", "Vessel", "Thing", "x"])
        | st.integers(),
        "properties": st.dictionaries(
            st.sampled_from(["name", "alias", "birthDate", "nationality", "country", "idNumber"])
            | st.text(max_size=10),
            values,
            max_size=4,
        ),
    }
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.dictionaries(st.text(max_size=8), queries, max_size=3))
def test_random_queries_never_crash_the_api(api: Api, body: dict[str, Any]) -> None:
    loaded_once(api)
    response = post(api, {"queries": body})
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert response.headers["content-type"] == "application/problem+json"


def loaded_once(api: Api) -> None:
    with unit_of_work(api.runtime.sessions) as session:
        current = store.current_versions(session)
    if not current:
        loaded(api)
