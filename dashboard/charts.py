"""Horizontal bar charts laid out in Python and drawn as SVG by jinja2/dashboard/_chart.html.

The layout (where each bar, label and number goes) is plain arithmetic on the figures,
so a chart needs no script and scales with its viewBox. Each series has a fill pattern
as well as a colour, and every bar prints its label and value as text: nothing depends
on telling colours apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

# Narrow enough to stay legible on a phone: each row's label sits above its bars.
WIDTH = 420
BAR_X = 8
BAR_SPACE = 240
LABEL_HEIGHT = 16
BAR_HEIGHT = 18
BAR_GAP = 4
ROW_GAP = 10
TOP = 8
LEGEND_ROW = 22
LEGEND_COLUMN = 138
LABEL_CHARS = 60

# (fill, ink, kind): the background colour, the colour of the pattern's marks and the marks.
PATTERNS = (
    ("#3b6fd8", "#3b6fd8", "solid"),
    ("#c9d8f6", "#1d3f8a", "hatch"),
    ("#f6dfaa", "#7a5300", "dots"),
    ("#cde8d0", "#245c2b", "cross"),
    ("#efd3e6", "#6a2458", "rows"),
    ("#e2e4ea", "#333842", "columns"),
    ("#1d3f8a", "#1d3f8a", "solid"),
    ("#fbe3d3", "#8a3a0c", "backhatch"),
    ("#d8eef2", "#0d5663", "grid"),
    ("#f0f0c8", "#5a5a10", "sparse"),
)


@dataclass
class Segment:
    x: float
    width: float
    pattern: int
    value: float
    text: str
    title: str
    # The value printed inside the segment when it is wide enough.
    inside: bool


@dataclass
class Bar:
    y: float
    segments: list[Segment]
    end: float
    text: str


@dataclass
class Row:
    label: str
    full_label: str
    y: float
    text_y: float
    bars: list[Bar]
    # Where the hidden group's sentence goes (the first bar's line).
    hidden_y: float = 0
    hidden_text: str = ""


@dataclass
class Chart:
    key: str
    title: str
    desc: str
    rows: list[Row]
    legend: list[tuple[int, str, float, float]]
    height: float
    patterns: Sequence = PATTERNS
    width: int = WIDTH
    empty_text: str = ""


@dataclass
class BarSpec:
    """One bar: its (series index, value) segments, stacked left to right, and its printed text."""

    segments: list[tuple[int, float]]
    text: str


@dataclass
class RowSpec:
    label: str
    bars: list[BarSpec] = field(default_factory=list)
    # Shown instead of bars (a group too small to show on its own).
    hidden_text: str = ""


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def bar_chart(key: str, *, title: str, desc: str, rows: Sequence[RowSpec], series: Sequence[str],
              empty_text: str = "") -> Chart:
    """Lay out a horizontal bar chart: one row per label, one or more (stacked) bars per row."""
    biggest = max((sum(v for _s, v in bar.segments) for row in rows for bar in row.bars), default=0) or 1
    scale = BAR_SPACE / biggest
    laid: list[Row] = []
    y = TOP
    for spec in rows:
        bars = []
        height = LABEL_HEIGHT + max(len(spec.bars), 1) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
        for index, bar in enumerate(spec.bars):
            bar_y = y + LABEL_HEIGHT + index * (BAR_HEIGHT + BAR_GAP)
            x = BAR_X
            segments = []
            for series_index, value in bar.segments:
                if value <= 0:
                    continue
                width = value * scale
                text = _number(value)
                name = series[series_index] if series_index < len(series) else ""
                segments.append(Segment(
                    x=round(x, 1), width=round(width, 1), pattern=series_index % len(PATTERNS), value=value,
                    text=text, title=f"{name}: {text}" if name else text, inside=len(bar.segments) > 1 and width >= 8 * len(text) + 6,
                ))
                x += width
            bars.append(Bar(y=bar_y, segments=segments, end=round(x + 6, 1), text=bar.text))
        laid.append(Row(label=_short(spec.label), full_label=spec.label, y=y, text_y=y + 12,
                        bars=bars, hidden_text=spec.hidden_text, hidden_y=y + LABEL_HEIGHT + 13))
        y += height + ROW_GAP
    legend = []
    if len(series) > 1:
        columns = max(WIDTH // LEGEND_COLUMN, 1)
        for index, name in enumerate(series):
            legend.append((index % len(PATTERNS), name, 8 + (index % columns) * LEGEND_COLUMN, y + (index // columns) * LEGEND_ROW))
        y += ((len(series) + columns - 1) // columns) * LEGEND_ROW
    return Chart(key=key, title=title, desc=desc, rows=laid, legend=legend, height=max(y + 4, 40), empty_text=empty_text)
