"""Whatever JSON arrives, the API answers with a verdict or a 4xx problem, never a 500."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import Api

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
fields = st.sampled_from(
    ["id", "occurred_at", "account_id", "ip", "device_id", "user_agent", "success", "other"]
)
plausible = {
    "id": st.text(min_size=1, max_size=30),
    "occurred_at": st.sampled_from(["2026-03-01T00:00:00Z", "2026-03-01", "", "now"]),
    "ip": st.sampled_from(["1.2.3.4", "::1", "300.1.1.1", "x"]),
    "success": st.booleans(),
}


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    event: dict[str, Any] = {}
    for name in draw(st.lists(fields, max_size=8, unique=True)):
        strategy = plausible.get(name, json_values)
        event[name] = draw(st.one_of(strategy, json_values))
    return event


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(event=events())
def test_random_events_never_crash_the_api(api: Api, event: dict[str, Any]) -> None:
    response = api.client.post(
        "/v1/events/login",
        content=json.dumps(event).encode(),
        headers={**api.ingest, "Content-Type": "application/json"},
    )
    assert response.status_code in (200, 201, 400, 409, 422), response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
