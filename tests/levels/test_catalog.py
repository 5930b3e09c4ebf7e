"""The catalog's schema: the shipped files load, and a broken file fails with a clear message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tradeguard.levels.catalog import (
    LEVELS,
    CatalogError,
    assemble,
    load_catalog,
    shipped_files,
)
from tradeguard.levels.evidence import COLLECTORS, PLANNED_MODULES, load_collectors

load_collectors()
LAYERS = ("platform", "payments", "inspection", "logistics")


def control(cid: str, layer: str = "payments", level: int = 1, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": cid,
        "title": f"control {cid}",
        "why": "because",
        "layer": layer,
        "level": level,
        "evidence": {"attestation": {"max_age_days": 365}},
        "risk": 3,
        "effort": 2,
        "remediation": "do it",
        "references": [{"standard": "NIST CSF 2.0", "ref": "DE.CM-01"}],
    }
    body.update(extra)
    return body


def base(controls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    grid = [
        control(f"{layer[:3].upper()}-{level}.1", layer, level)
        for layer in LAYERS
        for level in LEVELS
    ]
    return {
        "catalog": "test-base",
        "version": "1",
        "title": "Test",
        "layers": [{"id": lay, "title": lay.title(), "scope": "x"} for lay in LAYERS],
        "levels": [{"number": n, "title": f"L{n}", "meaning": "x"} for n in LEVELS],
        "controls": grid + (controls or []),
    }


def build(*files: dict[str, Any]) -> Any:
    texts = [(f"file{n}.yaml", yaml.safe_dump(f)) for n, f in enumerate(files)]
    return assemble(texts, known_collectors=set(COLLECTORS))


def org(controls: list[dict[str, Any]]) -> dict[str, Any]:
    return {"catalog": "acme", "version": "1", "title": "Acme's own", "controls": controls}


def test_the_shipped_catalog_loads_and_fills_every_cell() -> None:
    catalog = load_catalog()
    assert [lay.id for lay in catalog.layers] == list(LAYERS)
    for layer in LAYERS:
        for level in LEVELS:
            assert any(
                c.layer == layer and c.level == level and not c.markets for c in catalog.controls
            ), f"{layer} L{level} has no base control"
    markets = {m for c in catalog.controls for m in c.markets}
    assert markets == {"CN", "US", "EU"}
    assert len(catalog.files) == 4


def test_the_shipped_catalog_names_only_real_or_planned_collectors() -> None:
    for c in load_catalog().controls:
        if c.evidence.measure is not None:
            name = c.evidence.measure.collector
            assert name in COLLECTORS or name.split(".")[0] in PLANNED_MODULES, c.id


def test_the_shipped_catalog_is_latin1_for_the_pdf_core_fonts() -> None:
    for _name, text in shipped_files():
        text.encode("latin-1")  # raises, naming the character, if one slips in


def test_the_eu_overlay_carries_the_72_hour_breach_notice() -> None:
    catalog = load_catalog()
    eu = [c for c in catalog.controls if "EU" in c.markets]
    assert any("33" in r.ref and "GDPR" in r.standard for c in eu for r in c.references)


def test_a_good_organisation_file_adds_its_controls() -> None:
    catalog = build(base(), org([control("ACME-1", level=2)]))
    added = catalog.control("ACME-1")
    assert added is not None
    assert added.source == "acme"


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"title": None}, "control PAY-9.1: title"),
        ({"layer": "warehouse"}, "layer 'warehouse' is not one of"),
        ({"level": 5}, "level: Input should be less than or equal to 4"),
        ({"risk": 0}, "risk"),
        ({"id": "pay 9"}, "control pay 9: id: String should match pattern"),
        ({"references": []}, "references: List should have at least 1 item"),
        ({"evidence": {}}, "a control needs a measure, an attestation rule, or both"),
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
        ({"markets": ["UK"]}, "markets.0: Input should be 'CN', 'US' or 'EU'"),
        (
            {"evidence": {"measure": {"collector": "nothing.here", "target": {"at_least": 1}}}},
            "no collector named 'nothing.here'",
        ),
        (
            {"evidence": {"measure": {"collector": "cases.over_sla", "target": {"at_most": 0}}}},
            "params: sla_hours: Field required",
        ),
        (
            {
                "evidence": {
                    "measure": {
                        "collector": "screening.coverage",
                        "params": {"kind": "orders"},
                        "target": {"at_least": 1},
                    }
                }
            },
            "params: kind: unknown event kind 'orders'",
        ),
        (
            {
                "evidence": {
                    "measure": {
                        "collector": "operators.mfa",
                        "target": {"at_least": 1, "at_most": 2},
                    }
                }
            },
            "give exactly one of at_least or at_most",
        ),
        (
            {
                "evidence": {
                    "measure": {
                        "collector": "operators.mfa",
                        "target": {"at_least": 1},
                        "partial": {"at_most": 2},
                    }
                }
            },
            "partial must bound the same side as target",
        ),
    ],
)
def test_a_broken_control_fails_with_the_control_and_field(
    broken: dict[str, Any], message: str
) -> None:
    with pytest.raises(CatalogError) as caught:
        build(base(), org([control("PAY-9.1", **broken)]))
    assert message in caught.value.detail
    assert caught.value.detail.startswith("file1.yaml")


def test_a_duplicate_id_names_both_files() -> None:
    with pytest.raises(
        CatalogError, match=r"file1.yaml: control PAY-1.1: id already used in file0"
    ):
        build(base(), org([control("PAY-1.1")]))


def test_an_empty_cell_fails() -> None:
    data = base()
    data["controls"] = [c for c in data["controls"] if c["id"] != "INS-3.1"]
    with pytest.raises(
        CatalogError, match="cells without a control for every market: inspection L3"
    ):
        build(data)


def test_a_market_only_control_does_not_fill_a_cell() -> None:
    data = base()
    for c in data["controls"]:
        if c["id"] == "LOG-4.1":
            c["markets"] = ["EU"]
    with pytest.raises(CatalogError, match="logistics L4"):
        build(data)


def test_only_one_file_may_define_the_grid() -> None:
    with pytest.raises(CatalogError, match="exactly one catalog file"):
        build(base(), {**base(), "catalog": "second"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("controls: [", "not valid YAML"),
        ("- just a list", "a catalog file is a mapping"),
        (
            "catalog: x\nversion: '1'\ntitle: t\ncontrols: []",
            "controls: List should have at least 1",
        ),
    ],
)
def test_unreadable_files_fail_clearly(text: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        assemble([("b.yaml", yaml.safe_dump(base())), ("org.yaml", text)], known_collectors=set())


def test_a_missing_organisation_file_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read the organisation's controls"):
        load_catalog(tmp_path / "nope.yaml")
