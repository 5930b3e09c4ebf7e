"""The protection-level API: assessment, history, controls, attestations and coverage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tradeguard.db.session import unit_of_work
from tradeguard.engine.tables import AuditEntry
from tradeguard.levels.models import Attestation, VolumeReport

from .conftest import Api

TODAY = datetime.now(UTC).date()


def _attestation(control_id: str = "PAY-4.1", **extra: object) -> dict[str, object]:
    return {
        "control_id": control_id,
        "statement": "The fraud-wave playbook is approved and was exercised in November.",
        "document": "dms://risk/fraud-wave.pdf",
        "expires_on": (TODAY + timedelta(days=90)).isoformat(),
        **extra,
    }


def test_assessment_has_the_grid_levels_and_gaps(api: Api) -> None:
    response = api.client.get("/v1/assessment", headers=api.analyst)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["overall_level"] == 0
    assert body["markets"] == []
    assert [layer["id"] for layer in body["layers"]] == [
        "platform",
        "payments",
        "inspection",
        "logistics",
    ]
    for layer in body["layers"]:
        assert 0 <= layer["level"] <= 4
        assert [c["level"] for c in layer["cells"]] == [1, 2, 3, 4]
        assert all(c["status"] in ("met", "partial", "unmet") for c in layer["cells"])
    assert body["gaps"]
    audit_control = next(
        r
        for layer in body["layers"]
        for cell in layer["cells"]
        for r in cell["controls"]
        if r["id"] == "PLT-3.3"
    )
    assert audit_control["status"] == "met"
    assert audit_control["measurement"]["collector"] == "audit.append_only"


def test_a_market_adds_its_overlay(api: Api) -> None:
    base = api.client.get("/v1/assessment", headers=api.analyst).json()
    eu = api.client.get("/v1/assessment?market=EU", headers=api.analyst).json()
    both = api.client.get("/v1/assessment?market=eu,US", headers=api.analyst).json()
    assert eu["markets"] == ["EU"]
    assert both["markets"] == ["EU", "US"]
    assert sum(eu["counts"].values()) > sum(base["counts"].values())
    assert sum(both["counts"].values()) > sum(eu["counts"].values())
    ids = {r["id"] for lay in eu["layers"] for c in lay["cells"] for r in c["controls"]}
    assert "EU-GDPR-33" in ids
    assert "US-OFAC-SDN" not in ids


def test_an_unknown_market_is_a_problem(api: Api) -> None:
    response = api.client.get("/v1/assessment?market=UK", headers=api.analyst)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "unknown market 'UK'" in response.json()["detail"]


def test_roles(api: Api) -> None:
    assert api.client.get("/v1/assessment").status_code == 401
    assert api.client.get("/v1/assessment", headers=api.ingest).status_code == 403
    body = _attestation()
    denied = api.client.post("/v1/attestations", json=body, headers=api.analyst)
    assert denied.status_code == 403
    volumes = {"items": [{"kind": "order", "day": TODAY.isoformat(), "count": 3}]}
    assert api.client.post("/v1/coverage", json=volumes, headers=api.analyst).status_code == 403


def test_recording_builds_the_history(api: Api) -> None:
    for _ in range(2):
        created = api.client.post("/v1/assessments?market=EU", headers=api.analyst)
        assert created.status_code == 201, created.text
    api.client.post("/v1/assessments", headers=api.analyst)
    history = api.client.get("/v1/assessment/history?market=EU", headers=api.analyst).json()
    assert len(history) == 2
    assert history[0]["as_of"] <= history[1]["as_of"]
    assert history[0]["markets"] == "EU"
    assert set(history[0]["layers"]) == {"platform", "payments", "inspection", "logistics"}
    with unit_of_work(api.runtime.sessions) as session:
        recorded = session.scalar(
            select(func.count()).where(AuditEntry.action == "assessment.record")
        )
    assert recorded == 3


def test_an_attestation_meets_its_control_until_revoked(api: Api) -> None:
    before = api.client.get("/v1/assessment", headers=api.analyst).json()
    created = api.client.post("/v1/attestations", json=_attestation(), headers=api.admin)
    assert created.status_code == 201, created.text
    row = created.json()
    assert row["attested_by"].endswith(":test admin")  # the key that attested, by its name
    after = api.client.get("/v1/assessment", headers=api.analyst).json()

    def status(body: dict[str, object]) -> str:
        layers = body["layers"]
        assert isinstance(layers, list)
        return next(
            r["status"]
            for lay in layers
            for c in lay["cells"]
            for r in c["controls"]
            if r["id"] == "PAY-4.1"
        )

    assert status(before) == "no_evidence"
    assert status(after) == "met"
    revoked = api.client.post(f"/v1/attestations/{row['id']}/revoke", headers=api.admin)
    assert revoked.status_code == 200
    again = api.client.post(f"/v1/attestations/{row['id']}/revoke", headers=api.admin)
    assert again.status_code == 409
    assert status(api.client.get("/v1/assessment", headers=api.analyst).json()) == "no_evidence"
    listed = api.client.get("/v1/attestations?control_id=PAY-4.1", headers=api.analyst).json()
    assert [a["revoked_at"] is not None for a in listed] == [True]


def test_bad_attestations_are_refused_and_nothing_is_stored(api: Api) -> None:
    cases = [
        (_attestation("NOPE-1"), 404, "no control NOPE-1"),
        (_attestation("PLT-3.3"), 422, "met only by measurement"),
        (_attestation(document=None), 422, "needs a document"),
        (_attestation(expires_on=(TODAY - timedelta(days=1)).isoformat()), 422, "future date"),
        (_attestation(expires_on=(TODAY + timedelta(days=900)).isoformat()), 422, "at most"),
        (_attestation(statement="ok"), 422, "statement"),
        (_attestation(extra="x"), 422, "extra"),
        (_attestation(document_sha256="xyz"), 422, "document_sha256"),
        (_attestation(statement="a statement with a \x00 in it"), 422, "NUL"),
    ]
    for body, status, words in cases:
        response = api.client.post("/v1/attestations", json=body, headers=api.admin)
        assert response.status_code == status, (body, response.text)
        assert words in response.json()["detail"], response.json()
    with unit_of_work(api.runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Attestation)) == 0


def test_coverage_reports_are_stored_once_and_replaced_by_a_new_count(api: Api) -> None:
    day = (TODAY - timedelta(days=1)).isoformat()
    body = {"items": [{"kind": "order", "day": day, "count": 120, "source": "checkout"}]}
    first = api.client.post("/v1/coverage", json=body, headers=api.ingest)
    assert first.json() == {"stored": 1}
    assert api.client.post("/v1/coverage", json=body, headers=api.ingest).json() == {"stored": 0}
    body["items"][0]["count"] = 125
    assert api.client.post("/v1/coverage", json=body, headers=api.ingest).json() == {"stored": 1}
    with unit_of_work(api.runtime.sessions) as session:
        rows = list(session.scalars(select(VolumeReport)))
        assert [(r.kind, r.count) for r in rows] == [("order", 125)]
        changes = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "coverage.report").order_by(AuditEntry.id)
        ).all()
        assert [c.before for c in changes] == [None, {"count": 120}]


def test_bad_coverage_reports_are_refused_whole(api: Api) -> None:
    good = {"kind": "order", "day": TODAY.isoformat(), "count": 5}
    for bad in (
        {"kind": "order", "day": "yesterday", "count": 5},
        {"kind": "order", "day": TODAY.isoformat(), "count": -1},
        {"kind": "", "day": TODAY.isoformat(), "count": 5},
        {"kind": "orders", "day": TODAY.isoformat(), "count": 5},  # a typo would match nothing
        {"kind": "order", "day": TODAY.isoformat(), "count": 5, "source": "a b"},
    ):
        response = api.client.post("/v1/coverage", json={"items": [good, bad]}, headers=api.ingest)
        assert response.status_code == 422, bad
        assert response.headers["content-type"] == "application/problem+json"
    empty = api.client.post("/v1/coverage", json={"items": []}, headers=api.ingest)
    assert empty.status_code == 422
    with unit_of_work(api.runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(VolumeReport)) == 0


def test_controls_lists_the_catalog(api: Api) -> None:
    every = api.client.get("/v1/controls", headers=api.analyst).json()
    cn = api.client.get("/v1/controls?market=CN", headers=api.analyst).json()
    assert len(every) > len(cn)
    assert all(not c["markets"] or "CN" in c["markets"] for c in cn)
    one = next(c for c in every if c["id"] == "PAY-1.1")
    assert one["evidence"]["measure"]["collector"] == "screening.coverage"
    assert one["references"]
