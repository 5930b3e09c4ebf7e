"""The protection-level report: what a manager reads in HTML and PDF, from a hand-built assessment.

No database: the assessment, its controls and the snapshots are made here, so the renderers are
tested on exactly the shapes the schemas allow, including hostile and non-Latin text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tradeguard.levels.report import format_bound, format_number, markets_label, render_html
from tradeguard.levels.report_pdf import latin1, render_pdf
from tradeguard.levels.schemas import (
    Assessment,
    AttestationRead,
    Cell,
    CellStatus,
    ControlResult,
    Gap,
    LayerResult,
    MeasurementRead,
    SnapshotRead,
    Status,
)

AS_OF = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
LAYERS = (
    ("payments", "Payments"),
    ("accounts", "Accounts"),
    ("mail", "Mail"),
    ("merchants", "Merchants"),
)
LEVEL_TITLES = {
    1: "Daily monitoring",
    2: "Identity authentication & review",
    3: "Data encryption & backup",
    4: "Emergency response & plans",
}
# Per layer, the cell statuses L1..L4: a mix so every colour shows.
GRID: dict[str, tuple[CellStatus, ...]] = {
    "payments": ("met", "met", "partial", "unmet"),
    "accounts": ("met", "partial", "unmet", "unmet"),
    "mail": ("met", "met", "met", "partial"),
    "merchants": ("partial", "unmet", "unmet", "unmet"),
}
HOSTILE = "<script>alert(1)</script>"
# Chinese, an emoji and a ZWJ family, Hebrew and Arabic (right to left).
WORLDLY = (
    "\u5bc6\u94a5\u8f6e\u6362 \U0001f510\U0001f468\u200d\U0001f469\u200d\U0001f467 "
    "\u05d2\u05d9\u05d1\u05d5\u05d9 \u0627\u0644\u0646\u0633\u062e"
)


def _measurement(value: float, unit: str = "share") -> MeasurementRead:
    return MeasurementRead(
        collector="payments.screening_coverage",
        value=value,
        unit=unit,
        detail="Share of payouts screened before release",
        sample=1234,
        target=">= 0.99",
        partial=">= 0.95",
        window_days=30,
    )


def _attestation(control_id: str) -> AttestationRead:
    return AttestationRead(
        id=7,
        control_id=control_id,
        statement="Backups are encrypted with keys held in the HSM and restored quarterly.",
        document="https://docs.example.com/policies/backup-encryption-v3.pdf",
        document_sha256="a" * 64,
        attested_by="ciso@example.com",
        attested_at=AS_OF - timedelta(days=20),
        expires_at=AS_OF + timedelta(days=345),
        revoked_at=None,
        revoked_by=None,
    )


def _control(layer: str, level: int, n: int, status: Status, title: str = "") -> ControlResult:
    control_id = f"{layer[:3].upper()}-{level}.{n}"
    measured = status in ("met", "partial") and n == 1
    attested = status == "met" and n == 2
    return ControlResult(
        id=control_id,
        title=title or f"{layer} control {level}.{n}",
        why="Because an unwatched payout is a lost payout.",
        layer=layer,
        level=level,
        markets=[],
        topics=["monitoring"],
        status=status,
        source="measured" if measured else "attested" if attested else "none",
        reason=f"{control_id} is {status}.",
        measurement=_measurement(0.993 if status == "met" else 0.962) if measured else None,
        attestation=_attestation(control_id) if attested else None,
        attestation_allowed=True,
        risk=4,
        effort=2,
        remediation="Turn on the collector; see https://example.com/" + "x" * 300,
        references=[{"standard": "ISO 27001", "ref": "A.8.16"}, {"standard": "PCI DSS"}],
        catalog="tradeguard-base@2026.12",
    )


def _statuses(cell: CellStatus) -> list[Status]:
    """Control statuses that add up to the cell's status."""
    if cell == "met":
        return ["met", "met"]
    if cell == "partial":
        return ["met", "partial", "no_evidence"]
    return ["unmet", "no_evidence"]


def _cell(layer: str, level: int, status: CellStatus, title: str = "") -> Cell:
    controls = [
        _control(layer, level, n, s, title if n == 1 else "")
        for n, s in enumerate(_statuses(status), start=1)
    ]
    met = sum(c.status == "met" for c in controls)
    return Cell(
        level=level,
        title=LEVEL_TITLES[level],
        status=status,
        met=met,
        total=len(controls),
        controls=controls,
    )


def _layer_level(statuses: tuple[CellStatus, ...]) -> int:
    level = 0
    for status in statuses:
        if status != "met":
            break
        level += 1
    return level


def _gap(n: int, title: str) -> Gap:
    return Gap(
        control_id=f"GAP-{n}",
        title=title,
        layer="payments",
        level=3,
        status="partial",
        risk=5 - n % 3,
        effort=1 + n % 3,
        blocks_next_level=n % 2 == 0,
        priority=10.0 - n,
        why_now=f"Gap {n} blocks the payments layer's next level.",
        remediation=f"Close gap {n} by turning on the key rotation job.",
    )


def make_assessment(title: str = "", markets: list[str] | None = None) -> Assessment:
    """Four layers by four levels with every status, one control titled ``title``."""
    layers = []
    for layer_id, layer_title in LAYERS:
        statuses = GRID[layer_id]
        cells = [
            _cell(layer_id, level, status, title if (layer_id, level) == ("payments", 1) else "")
            for level, status in enumerate(statuses, start=1)
        ]
        layers.append(
            LayerResult(id=layer_id, title=layer_title, level=_layer_level(statuses), cells=cells)
        )
    controls = [c for layer in layers for cell in layer.cells for c in cell.controls]
    counts: dict[Status, int] = {}
    for control in controls:
        counts[control.status] = counts.get(control.status, 0) + 1
    return Assessment.model_validate(
        {
            "as_of": AS_OF,
            "markets": markets if markets is not None else ["CN", "EU"],
            "overall_level": min(layer.level for layer in layers),
            "layers": layers,
            "counts": counts,
            "gaps": [_gap(n, f"Fix number {n}") for n in range(1, 13)],
            "catalog": ["tradeguard-base@2026.12", "overlay-cn@2026.12", "overlay-eu@2026.12"],
            "catalog_sha256": "b" * 64,
        }
    )


def make_history() -> list[SnapshotRead]:
    """Three snapshots, deliberately out of order: the report sorts them."""
    levels = (0, 1, 0)
    snaps = [
        SnapshotRead(
            id=i + 1,
            as_of=AS_OF - timedelta(days=60 - 30 * i),
            markets="CN,EU",
            overall_level=level,
            layers={"payments": level + 1, "accounts": level, "mail": 2, "merchants": 0},
            counts={"met": 10 + i},
            recorded_at=AS_OF - timedelta(days=60 - 30 * i),
            recorded_by="scheduler",
        )
        for i, level in enumerate(levels)
    ]
    return [snaps[2], snaps[0], snaps[1]]


# --- HTML ------------------------------------------------------------------------------------


def test_html_carries_the_overall_level_layers_and_heat_map() -> None:
    assessment = make_assessment()
    html = render_html(assessment, history=make_history(), organisation="Acme Trading")

    assert assessment.overall_level == 0
    assert 'class="overall-level">L0<' in html
    assert "Overall level 0 of 4." in html
    assert "Acme Trading" in html
    assert "CN, EU" in html
    for _, title in LAYERS:
        assert title in html
    for status in ("met", "partial", "unmet"):
        assert f'class="cell cell-{status}"' in html
    assert html.count('class="cell cell-') == 16
    assert "1/3 met" in html  # partial cells
    assert "0/2 met" in html
    assert "2/2 met" in html
    assert "Data encryption &amp; backup" in html  # level title, escaped


def test_html_lists_the_top_ten_gaps_in_order() -> None:
    html = render_html(make_assessment())

    section = html.split("What to fix next", 1)[1].split("</ol>", 1)[0]
    found = re.findall(r"Fix number (\d+)", section)
    assert found == [str(n) for n in range(1, 11)]
    assert "blocks the next level" in section
    assert "Close gap 1 by" in section


def test_html_formats_evidence_by_unit_and_shows_attestations() -> None:
    html = render_html(make_assessment())

    assert "99.3% against target \u2265 99.0% (partial from \u2265 95.0%)" in html
    assert "sample 1,234" in html
    assert "Backups are encrypted with keys held in the HSM" in html
    assert "ciso@example.com" in html
    assert "expires 2027-02-22" in html
    assert "nothing measured this control and nobody attested" in html
    assert "ISO 27001 A.8.16" in html
    assert "b" * 64 in html  # catalog sha256 in the appendix


def test_html_escapes_hostile_titles_and_has_no_script() -> None:
    html = render_html(make_assessment(title=HOSTILE), organisation=HOSTILE)

    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # nothing fetched
    assert "<link" not in html.lower()


def test_html_trend_needs_two_snapshots() -> None:
    history = make_history()
    with_trend = render_html(make_assessment(), history=history)
    assert "<svg" in with_trend
    assert with_trend.count('class="dot"') == 3
    assert "<h2>Trend</h2>" in with_trend

    without = render_html(make_assessment(), history=history[:1])
    assert "<svg" not in without
    assert "Trend" not in without


def test_html_says_base_controls_when_no_market_is_named() -> None:
    html = render_html(make_assessment(markets=[]))
    assert "All markets (base controls, no market overlay)" in html


# --- PDF -------------------------------------------------------------------------------------


def test_pdf_is_a_pdf_with_the_overall_level() -> None:
    pdf = render_pdf(
        make_assessment(), history=make_history(), organisation="Acme Trading", compress=False
    )

    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 20_000
    assert b"Overall level: L0 of 4" in pdf
    assert b"Acme Trading" in pdf
    assert b"What to fix next" in pdf
    assert b"page 1 of " in pdf


def test_pdf_compressed_is_smaller() -> None:
    plain = render_pdf(make_assessment(), compress=False)
    packed = render_pdf(make_assessment())
    assert packed.startswith(b"%PDF-")
    assert len(packed) < len(plain)


def test_pdf_survives_any_unicode() -> None:
    title = f"{WORLDLY} \u2265 99% \u2014 {HOSTILE} " + "\ud800" + "\x00\x07"
    assessment = make_assessment(title=title, markets=[])

    pdf = render_pdf(assessment, history=make_history(), organisation=WORLDLY, compress=False)

    assert pdf.startswith(b"%PDF-")
    assert b">= 99% -- " in pdf


def test_pdf_is_deterministic() -> None:
    assessment = make_assessment()
    history = make_history()
    first = render_pdf(assessment, history=history, organisation="Acme")
    second = render_pdf(assessment, history=history, organisation="Acme")
    assert first == second


def test_pdf_without_history_or_gaps() -> None:
    assessment = make_assessment().model_copy(update={"gaps": []})
    pdf = render_pdf(assessment, compress=False)
    assert b"Nothing: every control is met." in pdf
    assert b"Trend" not in pdf


# --- helpers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("caf\u00e9 \u00d7 2", "caf\u00e9 x 2"),
        ("cafe\u0301", "caf\u00e9"),  # decomposed input composes back into Latin-1
        ("\u2013\u2014\u2018\u2019\u201c\u201d\u2026", "---''\"\"..."),
        ("\u2265 \u2264 \u2192", ">= <= ->"),
        ("\u0150rs\u00e9g \ufb01le", "Ors\u00e9g file"),
        ("\u5bc6\u94a5", "??"),
        ("\U0001f510\ufe0f", "?"),
        ("\u200f\u05d0\u200e", "?"),
        ("a\tb\r\nc", "a b \nc"),
    ],
)
def test_latin1(text: str, expected: str) -> None:
    assert latin1(text) == expected
    latin1(text).encode("latin-1")


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (0.9934, "share", "99.3%"),
        (12.345, "hours", "12.3 hours"),
        (2, "days", "2.0 days"),
        (1234.0, "count", "1,234"),
        (1.0, "flag", "yes"),
        (0.0, "flag", "no"),
        (None, "share", "no value"),
    ],
)
def test_format_number(value: float | None, unit: str, expected: str) -> None:
    assert format_number(value, unit) == expected


def test_format_bound() -> None:
    assert format_bound(">= 0.99", "share") == "\u2265 99.0%"
    assert format_bound("<= 24", "hours") == "\u2264 24.0 hours"
    assert format_bound("weekly", "flag") == "weekly"


def test_markets_label() -> None:
    assert markets_label([]) == "All markets (base controls, no market overlay)"
    assert markets_label(["US"]) == "US"
