"""Cases, lists, rule packs, back-tests and the audit log over HTTP."""

from __future__ import annotations

from datetime import timedelta

from tests.api.conftest import Api
from tests.factories import T0, login

SHADOW_PACK = """
id: login-strict
version: 1
description: stricter failure threshold, tried in shadow first
kinds: [login]
rules:
  - id: three_failures
    expression: "!event.success && velocity('login.failure', 'account', '10m') >= 3"
    action: block
    reason: "{n} failures in 10 minutes"
    evidence: {n: "velocity('login.failure', 'account', '10m')"}
"""


def attack(api: Api, account: str = "acct-1", n: int = 20) -> dict:
    for i in range(n):
        response = api.client.post(
            "/v1/events/login",
            json=login(account=account, success=False, minutes=i * 0.2),
            headers=api.ingest,
        )
    return response.json()


def test_case_queue_claim_and_resolve(api: Api) -> None:
    verdict = attack(api)
    case_id = verdict["case_id"]
    queue = api.client.get("/v1/cases", params={"status": "open"}, headers=api.analyst).json()
    assert case_id in [c["id"] for c in queue["items"]]
    detail = api.client.get(f"/v1/cases/{case_id}", headers=api.analyst).json()
    assert detail["event"]["verdict"]["decision"] == "block"
    claimed = api.client.post(f"/v1/cases/{case_id}/claim", headers=api.analyst)
    assert claimed.json()["status"] == "claimed"
    bad = api.client.post(
        f"/v1/cases/{case_id}/resolve", json={"label": "maybe"}, headers=api.analyst
    )
    assert bad.status_code == 422
    resolved = api.client.post(
        f"/v1/cases/{case_id}/resolve", json={"label": "fraud", "note": "bot"}, headers=api.analyst
    )
    assert resolved.json()["label"] == "fraud"
    again = api.client.post(
        f"/v1/cases/{case_id}/resolve", json={"label": "legitimate"}, headers=api.analyst
    )
    assert again.status_code == 409
    labels = api.client.get("/v1/labels", params={"kind": "login"}, headers=api.analyst).json()
    assert [lb["label"] for lb in labels] == ["fraud"]
    assert api.client.post("/v1/cases/99999/claim", headers=api.analyst).status_code == 404


def test_list_entries_add_block_and_remove(api: Api) -> None:
    created = api.client.post(
        "/v1/lists/block",
        json={"entity_type": "ip", "value": "203.0.113.0/24", "reason": "abuse report 7"},
        headers=api.analyst,
    )
    assert created.status_code == 201
    entry = created.json()
    verdict = api.client.post(
        "/v1/events/login", json=login(ip="203.0.113.9"), headers=api.ingest
    ).json()
    assert verdict["decision"] == "block"
    duplicate = api.client.post(
        "/v1/lists/block",
        json={"entity_type": "ip", "value": "203.0.113.0/24", "reason": "again"},
        headers=api.analyst,
    )
    assert duplicate.status_code == 409
    assert (
        api.client.delete(f"/v1/lists/entries/{entry['id']}", headers=api.analyst).status_code
        == 204
    )
    assert api.client.get("/v1/lists/block", headers=api.analyst).json() == []
    for bad in (
        {"entity_type": "ip", "value": "not-an-ip", "reason": "x"},
        {"entity_type": "planet", "value": "mars", "reason": "x"},
        {"entity_type": "bin", "value": "12ab", "reason": "x"},
        {"entity_type": "email", "value": "a@b.c", "reason": " "},
    ):
        assert api.client.post("/v1/lists/block", json=bad, headers=api.analyst).status_code == 422


def test_rule_pack_upload_shadow_and_backtest(api: Api) -> None:
    bad = api.client.post(
        "/v1/rule-packs",
        content="id: x\n",
        headers={**api.admin, "Content-Type": "application/yaml"},
    )
    assert bad.status_code == 422
    assert (
        api.client.post(
            "/v1/rule-packs",
            content=SHADOW_PACK,
            headers={**api.analyst, "Content-Type": "application/yaml"},
        ).status_code
        == 403
    )
    uploaded = api.client.post(
        "/v1/rule-packs",
        content=SHADOW_PACK,
        headers={**api.admin, "Content-Type": "application/yaml"},
    )
    assert uploaded.status_code == 201
    shadow = api.client.post(
        "/v1/rule-packs/login-strict/1/status", json={"status": "shadow"}, headers=api.admin
    )
    assert shadow.json()["status"] == "shadow"
    from tradeguard.engine.rulepacks import ACTIVE

    ACTIVE.invalidate()
    verdicts = [
        api.client.post(
            "/v1/events/login",
            json=login(account="bob", success=False, minutes=i),
            headers=api.ingest,
        ).json()
        for i in range(3)
    ]
    assert verdicts[-1]["decision"] == "allow"  # shadow rules do not decide
    assert [s["code"] for s in verdicts[-1]["shadow_signals"]] == ["rule.three_failures"]
    report = api.client.post(
        "/v1/rule-packs/login-strict/1/backtest",
        json={
            "since": (T0 - timedelta(hours=1)).isoformat(),
            "until": (T0 + timedelta(hours=1)).isoformat(),
        },
        headers=api.analyst,
    ).json()
    assert report["events"] == 3
    [rule] = report["rules"]
    assert rule["hits"] == 1
    assert report["decisions"] == {"allow": 2, "block": 1}
    assert report["changed_decisions"] == 1
    stored = api.client.get(
        f"/v1/verdicts/login/{verdicts[-1]['event_id']}", headers=api.analyst
    ).json()
    assert stored["decision"] == "allow"  # the back-test changed nothing
    backwards = api.client.post(
        "/v1/rule-packs/login-strict/1/backtest",
        json={"since": T0.isoformat(), "until": T0.isoformat()},
        headers=api.analyst,
    )
    assert backwards.status_code == 422


def test_audit_log_records_who_did_what(api: Api) -> None:
    api.client.post(
        "/v1/lists/allow",
        json={"entity_type": "account", "value": "vip", "reason": "CEO"},
        headers=api.analyst,
    )
    entries = api.client.get("/v1/audit", params={"action": "list.add"}, headers=api.analyst).json()
    [entry] = entries
    assert entry["actor"].startswith("key:")
    assert entry["actor"].endswith("test analyst")
    assert entry["after"]["value"] == "vip"
    found = api.client.get("/v1/audit", params={"q": "key.create"}, headers=api.analyst).json()
    assert len(found) == 3  # the three keys the fixture made
