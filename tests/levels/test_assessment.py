"""Grading rules without a database: evidence to status, cumulative levels, ranked gaps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tradeguard.levels.assessment import achieved_level, assess, judge
from tradeguard.levels.catalog import Control
from tradeguard.levels.evidence import Measurement
from tradeguard.levels.schemas import AttestationRead, Cell

from .test_catalog import base, build, control

NOW = datetime(2026, 12, 1, tzinfo=UTC)
MEASURED = {
    "collector": "operators.mfa",
    "target": {"at_least": 0.99},
    "partial": {"at_least": 0.8},
}


def _control(**extra: Any) -> Control:
    return Control.model_validate(control("PAY-9.1", **extra))


def _attestation(control_id: str = "PAY-9.1") -> AttestationRead:
    return AttestationRead(
        id=1,
        control_id=control_id,
        statement="the playbook was exercised in November",
        document="dms://bcp/2026",
        document_sha256=None,
        attested_by="operator:cfo",
        attested_at=NOW - timedelta(days=3),
        expires_at=NOW + timedelta(days=300),
        revoked_at=None,
        revoked_by=None,
    )


def share(value: float | None) -> Measurement:
    return Measurement(value, "share", f"measured {value}", 10)


@pytest.mark.parametrize(
    ("value", "status"), [(1.0, "met"), (0.99, "met"), (0.9, "partial"), (0.5, "unmet")]
)
def test_a_measurement_is_held_against_target_and_partial(value: float, status: str) -> None:
    found, source, reason = judge(_control(evidence={"measure": MEASURED}), share(value), None)
    assert (found, source) == (status, "measured")
    assert "≥ 99.0%" in reason


def test_no_measured_value_is_no_evidence_never_a_pass() -> None:
    found, source, reason = judge(
        _control(evidence={"measure": MEASURED}), share(None), _attestation()
    )
    assert (found, source) == ("no_evidence", "none")  # the control accepts no attestation
    assert "measured None" in reason


def test_an_attestation_stands_in_only_where_nothing_is_measured() -> None:
    both = _control(evidence={"measure": MEASURED, "attestation": {"max_age_days": 365}})
    assert judge(both, share(None), _attestation())[:2] == ("met", "attested")
    # A failing measurement is never overruled by someone's word.
    assert judge(both, share(0.1), _attestation())[:2] == ("unmet", "measured")
    assert judge(both, share(None), None)[0] == "no_evidence"


def test_attestation_only_controls() -> None:
    plan = _control()
    assert judge(plan, None, _attestation())[:2] == ("met", "attested")
    assert judge(plan, None, None)[0] == "no_evidence"


def _cells(*statuses: str) -> list[Cell]:
    return [
        Cell(level=n, title=f"L{n}", status=s, met=0, total=1, controls=[])  # type: ignore[arg-type]
        for n, s in enumerate(statuses, 1)
    ]


@pytest.mark.parametrize(
    ("statuses", "level"),
    [
        (("met", "met", "met", "met"), 4),
        (("met", "met", "partial", "met"), 2),
        (("unmet", "met", "met", "met"), 0),  # higher levels never count without the lower
        (("met", "unmet", "met", "met"), 1),
        (("partial", "partial", "partial", "partial"), 0),
    ],
)
def test_levels_are_cumulative(statuses: tuple[str, ...], level: int) -> None:
    assert achieved_level(_cells(*statuses)) == level


def _grade(measurements: dict[str, Measurement], attested: dict[str, AttestationRead]) -> Any:
    data = base()
    for c in data["controls"]:
        if c["layer"] == "payments":
            c["evidence"] = {"measure": MEASURED}
    catalog = build(data)
    return assess(catalog, markets=[], as_of=NOW, measurements=measurements, attestations=attested)


def test_overall_level_is_the_weakest_layers() -> None:
    every_attested = {
        f"{lay[:3].upper()}-{n}.1": _attestation(f"{lay[:3].upper()}-{n}.1")
        for lay in ("platform", "inspection", "logistics")
        for n in range(1, 5)
    }
    payments = {"PAY-1.1": share(1.0), "PAY-2.1": share(1.0), "PAY-3.1": share(0.85)}
    result = _grade(payments, every_attested)
    levels = {layer.id: layer.level for layer in result.layers}
    assert levels == {"platform": 4, "payments": 2, "inspection": 4, "logistics": 4}
    assert result.overall_level == 2
    cell = result.layers[1].cells[2]
    assert (cell.status, cell.met, cell.total) == ("partial", 0, 1)
    assert result.counts == {"met": 14, "partial": 1, "unmet": 0, "no_evidence": 1}


def test_gaps_rank_the_next_level_first_then_risk_over_effort() -> None:
    result = _grade({"PAY-1.1": share(1.0), "PAY-2.1": share(0.85)}, {})
    first = result.gaps[0]
    # Every other layer is at 0, so their L1 controls block too; payments' next is L2.
    assert all(
        g.blocks_next_level == (g.level == 1 or g.control_id == "PAY-2.1") for g in result.gaps
    )
    assert first.blocks_next_level
    partial = next(g for g in result.gaps if g.control_id == "PAY-2.1")
    unmet_l1 = next(g for g in result.gaps if g.control_id == "PLA-1.1")
    assert partial.priority == pytest.approx(unmet_l1.priority / 2)  # half the risk is left
    priorities = [g.priority for g in result.gaps]
    assert priorities == sorted(priorities, reverse=True)
    assert "stands between Payments and level 2" in partial.why_now


def test_a_market_overlay_applies_only_to_its_market() -> None:
    overlay = {
        "catalog": "overlay-eu",
        "version": "1",
        "title": "EU",
        "controls": [control("EU-GDPR-33", layer="logistics", level=4, markets=["EU"])],
    }
    catalog = build(base(), overlay)
    plain = assess(catalog, markets=[], as_of=NOW, measurements={}, attestations={})
    eu = assess(catalog, markets=["EU"], as_of=NOW, measurements={}, attestations={})
    assert sum(plain.counts.values()) == 16
    assert sum(eu.counts.values()) == 17
    assert eu.markets == ["EU"]
