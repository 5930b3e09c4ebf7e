"""Grading: each control's status from its evidence, cells, cumulative levels, ranked gaps.

Pure functions over the catalog, the measurements and the attestations in force, so the rules
(cumulative levels, what an attestation may stand in for, how gaps rank) are tested without a
database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from tradeguard.levels.catalog import Catalog, Control, Market, Measure
from tradeguard.levels.evidence import Measurement
from tradeguard.levels.schemas import (
    Assessment,
    AttestationRead,
    Cell,
    CellStatus,
    ControlResult,
    Gap,
    LayerResult,
    MeasurementRead,
    Source,
    Status,
)
from tradeguard.levels.units import format_bound

STATUSES: tuple[Status, ...] = ("met", "partial", "unmet", "no_evidence")
# How much of a control's risk is left open by its status: a partial control still leaves half.
RISK_LEFT: dict[Status, float] = {"met": 0.0, "partial": 0.5, "unmet": 1.0, "no_evidence": 1.0}
NEXT_LEVEL_WEIGHT = 2.0  # a gap between a layer and its next level counts double


def judge(
    control: Control, measured: Measurement | None, attestation: AttestationRead | None
) -> tuple[Status, Source, str]:
    """A measurement decides when it has a value; an attestation only stands in where none."""
    measure = control.evidence.measure
    if measure is not None and measured is not None and measured.value is not None:
        return _against(measure, measured)
    allowed = control.evidence.attestation is not None
    if allowed and attestation is not None:
        until = f"{attestation.expires_at:%Y-%m-%d}"
        return "met", "attested", f"attested by {attestation.attested_by}, holds through {until}"
    if measured is not None:
        why = measured.detail
        return "no_evidence", "none", why + ("; or attest it" if allowed else "")
    return "no_evidence", "none", "nobody has attested it (or the attestation expired)"


def _against(measure: Measure, measured: Measurement) -> tuple[Status, Source, str]:
    assert measured.value is not None
    target = format_bound(str(measure.target), measured.unit)
    if measure.target.holds(measured.value):
        return "met", "measured", f"{measured.detail}: meets the target {target}"
    if measure.partial is not None and measure.partial.holds(measured.value):
        return "partial", "measured", f"{measured.detail}: short of the target {target}"
    return "unmet", "measured", f"{measured.detail}: misses the target {target}"


def control_result(
    control: Control, measured: Measurement | None, attestation: AttestationRead | None
) -> ControlResult:
    status, source, reason = judge(control, measured, attestation)
    measure = control.evidence.measure
    return ControlResult(
        id=control.id,
        title=control.title,
        why=control.why,
        layer=control.layer,
        level=control.level,
        markets=control.markets,
        topics=control.topics,
        status=status,
        source=source,
        reason=reason,
        measurement=_measurement_read(measure, measured),
        attestation=attestation if source == "attested" else None,
        attestation_allowed=control.evidence.attestation is not None,
        risk=control.risk,
        effort=control.effort,
        remediation=control.remediation,
        references=[r.model_dump() for r in control.references],
        catalog=control.source,
    )


def _measurement_read(
    measure: Measure | None, measured: Measurement | None
) -> MeasurementRead | None:
    if measure is None or measured is None:
        return None
    return MeasurementRead(
        collector=measure.collector,
        value=measured.value,
        unit=measured.unit,
        detail=measured.detail,
        sample=measured.sample,
        target=str(measure.target),
        partial=str(measure.partial) if measure.partial else None,
        window_days=measure.window_days,
    )


def cell_status(results: Sequence[ControlResult]) -> CellStatus:
    """Met when every control is met; unmet when none is even partly; partial in between."""
    if all(r.status == "met" for r in results):
        return "met"
    if any(r.status in ("met", "partial") for r in results):
        return "partial"
    return "unmet"


def achieved_level(cells: Sequence[Cell]) -> int:
    """Levels are cumulative: the highest level met together with every level below it."""
    level = 0
    for cell in sorted(cells, key=lambda c: c.level):
        if cell.status != "met":
            break
        level = cell.level
    return level


def assess(
    catalog: Catalog,
    *,
    markets: Sequence[Market],
    as_of: datetime,
    measurements: Mapping[str, Measurement],
    attestations: Mapping[str, AttestationRead],
) -> Assessment:
    """The whole grade; ``measurements`` and ``attestations`` are keyed by control id."""
    chosen = catalog.for_markets(markets)
    results = [control_result(c, measurements.get(c.id), attestations.get(c.id)) for c in chosen]
    used = {c.source for c in chosen}
    layers = [_layer(catalog, layer.id, layer.title, results) for layer in catalog.layers]
    counts = {s: sum(1 for r in results if r.status == s) for s in STATUSES}
    return Assessment(
        as_of=as_of,
        markets=sorted(markets),
        overall_level=min(layer.level for layer in layers),
        layers=layers,
        counts=counts,
        gaps=rank_gaps(layers),
        catalog=[f for f in catalog.files if f.split("@", 1)[0] in used],
        catalog_sha256=catalog.sha256,
    )


def _layer(
    catalog: Catalog, layer_id: str, title: str, results: Sequence[ControlResult]
) -> LayerResult:
    cells = []
    for level in catalog.levels:
        mine = [r for r in results if r.layer == layer_id and r.level == level.number]
        cells.append(
            Cell(
                level=level.number,
                title=level.title,
                status=cell_status(mine),
                met=sum(1 for r in mine if r.status == "met"),
                total=len(mine),
                controls=mine,
            )
        )
    return LayerResult(id=layer_id, title=title, level=achieved_level(cells), cells=cells)


def rank_gaps(layers: Sequence[LayerResult]) -> list[Gap]:
    """Every control not met, most worth closing first: the risk it leaves, over the effort
    to close it, doubled where it stands between its layer and the layer's next level."""
    gaps = []
    for layer in layers:
        for cell in layer.cells:
            for r in cell.controls:
                if r.status == "met":
                    continue
                blocks = cell.level == layer.level + 1
                priority = r.risk * RISK_LEFT[r.status] / r.effort
                priority *= NEXT_LEVEL_WEIGHT if blocks else 1.0
                gaps.append(
                    Gap(
                        control_id=r.id,
                        title=r.title,
                        layer=layer.id,
                        level=r.level,
                        status=r.status,
                        risk=r.risk,
                        effort=r.effort,
                        blocks_next_level=blocks,
                        priority=round(priority, 3),
                        why_now=_why_now(layer, r, blocks),
                        remediation=r.remediation,
                    )
                )
    return sorted(gaps, key=lambda g: (-g.priority, g.level, g.control_id))


def _why_now(layer: LayerResult, result: ControlResult, blocks: bool) -> str:
    if blocks:
        lead = f"stands between {layer.title} and level {result.level}"
    else:
        lead = f"needed for {layer.title} L{result.level} once the levels below are met"
    return f"{lead}; risk {result.risk}/5, effort {result.effort}/5"
