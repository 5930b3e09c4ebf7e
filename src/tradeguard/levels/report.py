"""The protection-level report: one assessment as a manager reads it, and the wording the HTML
and the PDF (``report_pdf``) share.

Both renderings carry the same content: the overall level and what it means, the layer x level
heat map, what to fix next, the trend, every control with its evidence, and the catalog it was
graded against. The HTML is one self-contained file (inline CSS, no script, nothing fetched) so
it can be mailed, archived or printed as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from tradeguard.levels.schemas import (
    Assessment,
    AttestationRead,
    Cell,
    ControlResult,
    Gap,
    LayerResult,
    MeasurementRead,
    SnapshotRead,
    Source,
    Status,
)
from tradeguard.levels.units import format_bound, format_number

LEVELS = (1, 2, 3, 4)
_CODE = re.compile(r"`([^`\n]+)`")
MAX_GAPS = 10
# The grid's level names, for when an assessment has no cell to take the catalog's title from.
LEVEL_TITLES = {
    1: "Daily monitoring",
    2: "Identity authentication & review",
    3: "Data encryption & backup",
    4: "Emergency response & plans",
}
STATUS_LABELS: dict[Status, str] = {
    "met": "Met",
    "partial": "Partial",
    "unmet": "Unmet",
    "no_evidence": "No evidence",
}
SOURCE_LABELS: dict[Source, str] = {
    "measured": "measured",
    "attested": "attested",
    "none": "no evidence",
}


# --- shared wording ------------------------------------------------------------------------


def level_titles(assessment: Assessment) -> dict[int, str]:
    """Each level's name as the graded catalog spells it, the grid's default otherwise."""
    titles = dict(LEVEL_TITLES)
    for layer in assessment.layers:
        for cell in layer.cells:
            titles.setdefault(cell.level, cell.title)
            if cell.title:
                titles[cell.level] = cell.title
    return titles


def level_meaning(level: int, titles: dict[int, str]) -> str:
    """One line a manager can repeat: what the overall level does and does not promise."""
    if level <= 0:
        return f"Not yet at L1: {titles[1].lower()} is not met in every layer."
    reached = f"Every layer meets L1 to L{level}, up to {titles[level].lower()}."
    if level >= max(LEVELS):
        return reached
    return f"{reached} Next: L{level + 1}, {titles[level + 1].lower()}."


def markets_label(markets: Sequence[str]) -> str:
    """Which markets were graded; none named means the base catalog alone."""
    if not markets:
        return "All markets (base controls, no market overlay)"
    return ", ".join(markets)


def format_when(moment: datetime) -> str:
    """A timestamp without seconds: the report is read, not parsed."""
    zone = moment.strftime("%Z") if moment.tzinfo else ""
    return f"{moment:%Y-%m-%d %H:%M} {zone}".strip()


def code_spans(text: str) -> Markup:
    """Catalog text marks commands and endpoints `like this`: escaped, then set in <code>."""
    # Safe: the text is escaped first; only the <code> tags added here are markup.
    return Markup(_CODE.sub(r"<code>\1</code>", str(escape(text))))  # noqa: S704


def plain(text: str) -> str:
    """The same text without the marks, where there is no code face (the PDF)."""
    return _CODE.sub(r"\1", text)


def measurement_lines(measurement: MeasurementRead) -> list[str]:
    """What was measured and how it compares to the target, most telling line first."""
    unit = measurement.unit
    versus = f"{format_number(measurement.value, unit)} against target "
    versus += format_bound(measurement.target, unit)
    if measurement.partial:
        versus += f" (partial from {format_bound(measurement.partial, unit)})"
    scope = [f"over {measurement.window_days} days"]
    if measurement.sample is not None:
        scope.append(f"sample {measurement.sample:,d}")
    scope.append(f"collector {measurement.collector}")
    lines = [f"Measured: {versus}", ", ".join(scope)]
    if measurement.detail:
        lines.insert(0, measurement.detail)
    return lines


def attestation_lines(attestation: AttestationRead) -> list[str]:
    """Who vouched for the control, on what document, and until when."""
    lines = [f"Attested: \u201c{attestation.statement}\u201d"]
    if attestation.document:
        document = f"Document: {attestation.document}"
        if attestation.document_sha256:
            document += f" (sha256 {attestation.document_sha256[:12]}\u2026)"
        lines.append(document)
    lines.append(
        f"By {attestation.attested_by} on {format_when(attestation.attested_at)}; "
        f"expires {format_when(attestation.expires_at)}"
    )
    if attestation.revoked_at is not None:
        lines.append(
            f"Revoked {format_when(attestation.revoked_at)} by {attestation.revoked_by or '?'}"
        )
    return lines


def evidence_lines(control: ControlResult) -> list[str]:
    """The evidence behind a status, the same sentences in HTML and in PDF."""
    lines: list[str] = []
    if control.measurement is not None:
        lines += measurement_lines(control.measurement)
    if control.attestation is not None:
        lines += attestation_lines(control.attestation)
    if not lines:
        lines.append("None: nothing measured this control and nobody attested to it.")
    return lines


def reference_lines(control: ControlResult) -> list[str]:
    """References as ``standard ref``; the catalog's dicts may lack either key."""
    return [
        " ".join(part for part in (ref.get("standard", ""), ref.get("ref", "")) if part)
        for ref in control.references
    ]


def cells_by_level(layer: LayerResult) -> dict[int, Cell]:
    """A layer's cells by level number, so a missing cell shows as a gap, not a shift."""
    return {cell.level: cell for cell in layer.cells}


def gap_meta(gap: Gap, layer_names: dict[str, str]) -> str:
    """Where a gap sits and what closing it costs, on one line."""
    parts = [
        layer_names.get(gap.layer, gap.layer),
        f"L{gap.level}",
        STATUS_LABELS.get(gap.status, gap.status),
        f"risk {gap.risk}",
        f"effort {gap.effort}",
    ]
    if gap.blocks_next_level:
        parts.append("blocks the next level")
    return " \u00b7 ".join(parts)


def ordered_history(history: Sequence[SnapshotRead]) -> list[SnapshotRead]:
    """Snapshots oldest first, as a trend is read left to right."""
    return sorted(history, key=lambda snap: (snap.recorded_at, snap.id))


# --- HTML ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    x: float
    y: float
    level: int
    label: str


@dataclass(frozen=True)
class TrendChart:
    """Coordinates for the inline SVG, computed here so the template only places them."""

    width: int
    height: int
    left: int
    right: int
    points: list[TrendPoint]
    gridlines: list[tuple[int, float]]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def trend_chart(
    snapshots: Sequence[SnapshotRead], width: int = 640, height: int = 180
) -> TrendChart:
    """Overall level (0-4) over snapshots, evenly spaced: the order matters, not the gaps."""
    left, right, top, bottom = 40, width - 20, 16, height - 28

    def y_of(level: int) -> float:
        return bottom - (bottom - top) * level / max(LEVELS)

    step = (right - left) / max(len(snapshots) - 1, 1)
    points = [
        TrendPoint(left + i * step, y_of(s.overall_level), s.overall_level, f"{s.as_of:%Y-%m-%d}")
        for i, s in enumerate(snapshots)
    ]
    grid = [(level, y_of(level)) for level in (0, *LEVELS)]
    return TrendChart(width, height, left, right, points, grid)


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("tradeguard.levels", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        status_labels=STATUS_LABELS,
        source_labels=SOURCE_LABELS,
        format_when=format_when,
        evidence_lines=evidence_lines,
        reference_lines=reference_lines,
        gap_meta=gap_meta,
        cells_by_level=cells_by_level,
        levels=LEVELS,
    )
    env.filters["code"] = code_spans
    return env


def render_html(
    assessment: Assessment, *, history: Sequence[SnapshotRead] = (), organisation: str = ""
) -> str:
    """The report as one self-contained HTML page (inline CSS, no script, print-ready)."""
    titles = level_titles(assessment)
    snapshots = ordered_history(history)
    template = _environment().get_template("report.html")
    return template.render(
        a=assessment,
        organisation=organisation,
        markets=markets_label(assessment.markets),
        titles=titles,
        meaning=level_meaning(assessment.overall_level, titles),
        layer_names={layer.id: layer.title for layer in assessment.layers},
        gaps=assessment.gaps[:MAX_GAPS],
        snapshots=snapshots,
        chart=trend_chart(snapshots) if len(snapshots) >= 2 else None,
    )
