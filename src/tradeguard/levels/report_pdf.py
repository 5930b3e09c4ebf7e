"""The protection-level report as PDF, drawn with fpdf2.

fpdf2 is pure Python: WeasyPrint would print the HTML more faithfully but needs Pango and
friends from the system, which a slim container lacks. fpdf2's core fonts cover only Latin-1,
so every string goes through :func:`latin1` first: a control title in Chinese or an emoji must
degrade to ``?``, never stop the report.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from itertools import pairwise

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from tradeguard.levels.report import (
    LEVELS,
    MAX_GAPS,
    SOURCE_LABELS,
    STATUS_LABELS,
    cells_by_level,
    evidence_lines,
    format_when,
    gap_meta,
    level_meaning,
    level_titles,
    markets_label,
    ordered_history,
    plain,
    reference_lines,
)
from tradeguard.levels.schemas import Assessment, ControlResult, LayerResult, SnapshotRead, Status

# Fill colours (RGB) shared in spirit with the HTML's CSS: green, amber, red, grey.
STATUS_RGB: dict[Status, tuple[int, int, int]] = {
    "met": (200, 230, 201),
    "partial": (255, 224, 178),
    "unmet": (255, 205, 210),
    "no_evidence": (224, 224, 224),
}
# Typography the core fonts lack, spelled the way a reader would type it.
_ASCII = {
    "\u2013": "-",
    "\u2014": "--",
    "\u2212": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": ",",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2022": "*",
    "\u2026": "...",
    "\u2192": "->",
    "\u2190": "<-",
    "\u21d2": "=>",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u2260": "!=",
    "\u00d7": "x",
    "\u2009": " ",
    "\u202f": " ",
    "\u2010": "-",
    "\u2011": "-",
}


def latin1(text: str) -> str:
    """Text the PDF core fonts can draw: Latin-1 kept, look-alikes mapped, the rest ``?``.

    Composed first so ``e`` + combining accent stays ``é``; a character outside Latin-1 is
    mapped (dashes, quotes, ``≥``), else reduced to its NFKD base letters (``ő`` -> ``o``,
    ``ﬁ`` -> ``fi``), else replaced. Invisible format marks (bidi controls, zero-width joiners,
    emoji variation selectors) are dropped rather than shown as ``?``.
    """
    return "".join(_latin1_char(char) for char in unicodedata.normalize("NFC", text))


def _latin1_char(char: str) -> str:
    if char in _ASCII:
        return _ASCII[char]
    if char == "\n":
        return char
    category = unicodedata.category(char)
    if category == "Cc":
        return " "  # tabs, carriage returns and stray control bytes
    if _is_latin1(char):
        return char
    if category in ("Cf", "Mn", "Me"):
        return ""
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    mapped = "".join(_ASCII.get(c, c) for c in base)
    return mapped if mapped and _is_latin1(mapped) else "?"


def _is_latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


# --- PDF -----------------------------------------------------------------------------------

_FONT = "Helvetica"
_INK = (33, 33, 33)
_MUTED = (110, 110, 110)
_LABEL_W = 26.0  # the label column of a control's details, mm


class _ReportPDF(FPDF):
    """A4 portrait with a running footer; ``{nb}`` becomes the page count on output."""

    def __init__(self, running_title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.running_title = running_title
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(_FONT, size=8)
        self.set_text_color(*_MUTED)
        self.cell(0, 5, self.running_title, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"page {self.page_no()} of {{nb}}", align="R")


def _wrap(pdf: FPDF, h: float, text: str) -> None:
    """Wrap from the cursor to the right margin, ragged right: justifying a line that holds
    one long URL spreads its few words across the page. A token wider than the line is cut
    between characters by fpdf2 itself, so only a box narrower than one glyph could fail."""
    pdf.multi_cell(0, h, latin1(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _text(pdf: FPDF, text: str, *, size: float = 10, style: str = "", h: float = 5) -> None:
    """A paragraph from the left margin: wrapped, Latin-1 safe, cursor left on the next line."""
    pdf.set_x(pdf.l_margin)
    pdf.set_font(_FONT, style=style, size=size)
    _wrap(pdf, h, text)


def _heading(pdf: FPDF, text: str, *, size: float = 14, space: float = 30) -> None:
    """A heading kept with at least ``space`` mm of what follows it."""
    if pdf.get_y() + space > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(2)
    pdf.set_text_color(*_INK)
    _text(pdf, text, size=size, style="B", h=size * 0.5)
    pdf.ln(1)


def _field(pdf: FPDF, label: str, lines: Sequence[str]) -> None:
    """A labelled block of lines; the label column keeps values aligned under each other."""
    if not lines:
        return
    pdf.set_x(pdf.l_margin)
    pdf.set_font(_FONT, style="B", size=8.5)
    pdf.set_text_color(*_MUTED)
    pdf.cell(_LABEL_W, 4.5, latin1(label))
    pdf.set_font(_FONT, size=8.5)
    pdf.set_text_color(*_INK)
    _wrap(pdf, 4.5, "\n".join(lines))


def _cover(pdf: FPDF, assessment: Assessment, organisation: str, titles: dict[int, str]) -> None:
    pdf.set_text_color(*_INK)
    heading = "Protection level assessment"
    _text(pdf, f"{heading}: {organisation}" if organisation else heading, size=20, style="B", h=9)
    pdf.set_text_color(*_MUTED)
    _text(pdf, f"Markets: {markets_label(assessment.markets)}", size=10)
    _text(pdf, f"As of {format_when(assessment.as_of)}", size=10)
    pdf.ln(4)
    pdf.set_text_color(*_INK)
    overall = f"Overall level: L{assessment.overall_level} of {max(LEVELS)}"
    _text(pdf, overall, size=26, style="B", h=12)
    _text(pdf, level_meaning(assessment.overall_level, titles), size=11, h=6)
    counts = [
        f"{label} {assessment.counts.get(status, 0)}" for status, label in STATUS_LABELS.items()
    ]
    pdf.set_text_color(*_MUTED)
    _text(pdf, "Controls: " + ", ".join(counts), size=9)
    pdf.set_text_color(*_INK)


def _heat_map(pdf: FPDF, assessment: Assessment, titles: dict[int, str]) -> None:
    """Layers down, levels across; a cell's colour is its status, its text the met count."""
    _heading(pdf, "Layers and levels", space=20 + 10 * len(assessment.layers))
    pdf.set_font(_FONT, size=8.5)
    header = FontFace(emphasis="BOLD", fill_color=(238, 238, 238))
    with pdf.table(
        col_widths=(46, 28, 28, 28, 28, 22),
        line_height=4.5,
        first_row_as_headings=True,
        headings_style=header,
        text_align=("LEFT", "CENTER", "CENTER", "CENTER", "CENTER", "CENTER"),
    ) as table:
        table.row([latin1("Layer"), *(latin1(f"L{n} {titles[n]}") for n in LEVELS), "Achieved"])
        for layer in assessment.layers:
            row = table.row()
            row.cell(latin1(layer.title))
            cells = cells_by_level(layer)
            for level in LEVELS:
                cell = cells.get(level)
                if cell is None:
                    row.cell("-")
                    continue
                fill = FontFace(fill_color=STATUS_RGB[cell.status])
                row.cell(f"{cell.met}/{cell.total} met\n{STATUS_LABELS[cell.status]}", style=fill)
            row.cell(f"L{layer.level}", style=FontFace(emphasis="BOLD"))


def _gaps(pdf: FPDF, assessment: Assessment) -> None:
    _heading(pdf, "What to fix next")
    gaps = assessment.gaps[:MAX_GAPS]
    if not gaps:
        _text(pdf, "Nothing: every control is met.", size=10)
        return
    names = {layer.id: layer.title for layer in assessment.layers}
    for number, gap in enumerate(gaps, start=1):
        if pdf.get_y() + 22 > pdf.page_break_trigger:
            pdf.add_page()
        _text(pdf, f"{number}. {gap.title} ({gap.control_id})", size=10, style="B")
        pdf.set_text_color(*_MUTED)
        _text(pdf, gap_meta(gap, names), size=8.5, h=4.5)
        pdf.set_text_color(*_INK)
        _field(pdf, "Why now", [gap.why_now])
        _field(pdf, "Remediation", [plain(gap.remediation)])
        pdf.ln(1.5)


def _trend(pdf: FPDF, snapshots: Sequence[SnapshotRead], layers: Sequence[LayerResult]) -> None:
    """Overall level per snapshot as a line over a 0-4 grid, then the numbers."""
    _heading(pdf, "Trend", space=70)
    left, width, height = pdf.l_margin + 10, pdf.epw - 14, 40.0
    top = pdf.get_y() + 2
    bottom = top + height
    step = width / max(len(snapshots) - 1, 1)
    pdf.set_font(_FONT, size=7)
    pdf.set_text_color(*_MUTED)
    pdf.set_draw_color(210, 210, 210)
    pdf.set_line_width(0.2)
    for level in (0, *LEVELS):
        y = bottom - height * level / max(LEVELS)
        pdf.line(left, y, left + width, y)
        pdf.text(pdf.l_margin, y + 1, f"L{level}")
    points = [
        (left + i * step, bottom - height * s.overall_level / max(LEVELS))
        for i, s in enumerate(snapshots)
    ]
    pdf.set_draw_color(21, 101, 192)
    pdf.set_line_width(0.7)
    for (x1, y1), (x2, y2) in pairwise(points):
        pdf.line(x1, y1, x2, y2)
    pdf.set_fill_color(21, 101, 192)
    for x, y in points:
        pdf.circle(x, y, 0.9, style="F")
    pdf.text(left - 3, bottom + 4, f"{snapshots[0].as_of:%Y-%m-%d}")
    pdf.text(left + width - 14, bottom + 4, f"{snapshots[-1].as_of:%Y-%m-%d}")
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_fill_color(255, 255, 255)
    pdf.set_y(bottom + 8)
    _trend_table(pdf, snapshots, layers)


def _trend_table(
    pdf: FPDF, snapshots: Sequence[SnapshotRead], layers: Sequence[LayerResult]
) -> None:
    pdf.set_text_color(*_INK)
    pdf.set_font(_FONT, size=7.5)
    header = FontFace(emphasis="BOLD", fill_color=(238, 238, 238))
    widths = (28, 28, 14, 13, *(16 for _ in layers), 33)
    with pdf.table(col_widths=widths, line_height=4, headings_style=header) as table:
        titles = [latin1(layer.title) for layer in layers]
        table.row(["Recorded", "As of", "Markets", "Overall", *titles, "Recorded by"])
        for snap in snapshots:
            by_layer = [
                f"L{snap.layers[layer.id]}" if layer.id in snap.layers else "-" for layer in layers
            ]
            when = [latin1(format_when(snap.recorded_at)), latin1(format_when(snap.as_of))]
            markets = latin1(snap.markets or "all")
            table.row(
                [*when, markets, f"L{snap.overall_level}", *by_layer, latin1(snap.recorded_by)]
            )


def _control(pdf: FPDF, control: ControlResult) -> None:
    """One control: status badge and title, then why, evidence, remediation, references."""
    if pdf.get_y() + 28 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.set_x(pdf.l_margin)
    pdf.set_font(_FONT, style="B", size=8)
    pdf.set_fill_color(*STATUS_RGB[control.status])
    pdf.cell(_LABEL_W - 2, 5.5, STATUS_LABELS[control.status], align="C", fill=True)
    pdf.set_x(pdf.l_margin + _LABEL_W)
    pdf.set_font(_FONT, style="B", size=10)
    title = f"{control.id}  {control.title}"
    _wrap(pdf, 5.5, title)
    source = SOURCE_LABELS[control.source]
    facts = f"{source}; risk {control.risk}, effort {control.effort}; catalog {control.catalog}"
    if control.markets:
        facts += "; markets " + ", ".join(control.markets)
    _field(pdf, "About", [facts])
    _field(pdf, "Why", [control.why] if control.why else [])
    _field(pdf, "Status", [control.reason])
    _field(pdf, "Evidence", evidence_lines(control))
    _field(pdf, "Remediation", [plain(control.remediation)])
    _field(pdf, "References", reference_lines(control))
    pdf.ln(2.5)


def _layer_detail(pdf: FPDF, layer: LayerResult) -> None:
    pdf.add_page()
    _heading(pdf, f"{layer.title}: achieved L{layer.level}", size=16)
    for cell in sorted(layer.cells, key=lambda c: c.level):
        label = STATUS_LABELS[cell.status]
        _heading(
            pdf, f"L{cell.level} {cell.title} - {cell.met}/{cell.total} met ({label})", size=11
        )
        for control in cell.controls:
            _control(pdf, control)


def _appendix(pdf: FPDF, assessment: Assessment) -> None:
    pdf.add_page()
    _heading(pdf, "Appendix: catalog")
    _text(pdf, "Graded against these catalog files:", size=9)
    for name in assessment.catalog:
        _text(pdf, f"- {name}", size=9)
    pdf.ln(2)
    _text(pdf, f"Catalog sha256: {assessment.catalog_sha256}", size=8.5)


def render_pdf(
    assessment: Assessment,
    *,
    history: Sequence[SnapshotRead] = (),
    organisation: str = "",
    compress: bool = True,
) -> bytes:
    """The report as PDF bytes; byte-identical for one assessment (dated by its ``as_of``).

    ``compress=False`` leaves the page streams readable, which is what the tests search.
    """
    titles = level_titles(assessment)
    running = f"TradeGuard protection level, {format_when(assessment.as_of)}"
    pdf = _ReportPDF(latin1(f"{running}, {organisation}" if organisation else running))
    pdf.set_compression(compress)
    pdf.set_creation_date(assessment.as_of)
    pdf.set_title(latin1(f"Protection level assessment {organisation}".strip()))
    pdf.set_creator("TradeGuard")
    pdf.add_page()
    _cover(pdf, assessment, organisation, titles)
    _heat_map(pdf, assessment, titles)
    _gaps(pdf, assessment)
    snapshots = ordered_history(history)
    if len(snapshots) >= 2:
        _trend(pdf, snapshots, assessment.layers)
    for layer in assessment.layers:
        _layer_detail(pdf, layer)
    _appendix(pdf, assessment)
    return bytes(pdf.output())
