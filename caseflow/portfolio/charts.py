"""Geometry of the reports page's bar charts: pure functions from plain labels and numbers
to coordinates that ``templates/portfolio/_report_charts.html`` draws as SVG.

Horizontal bars, one per label, optionally stacked from several series. Series are told
apart by a fill pattern (solid, hatched, dotted) and a legend, never by colour alone; every
bar carries its number at its end, and each stacked segment wide enough for it its own
number. The page keeps the table with the same data beside each chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CHART_WIDTH = 640
BAR_HEIGHT = 22
BAR_GAP = 10
LEGEND_HEIGHT = 28
PADDING = 8
# Room after the longest bar for its number.
VALUE_ROOM = 48
# Rough width of one character of the 14px labels, to size the label column.
CHAR_WIDTH = 7.2
MIN_LABEL_WIDTH = 96
MAX_LABEL_WIDTH = 260
# The white chip a segment's number sits on: padding plus a digit's width per digit; a
# segment narrower than its chip (and this minimum) has no room for its number (the table
# and the bar's total carry it).
CHIP_PADDING = 8
DIGIT_WIDTH = 7.5
MIN_SEGMENT_TEXT_WIDTH = 26
# The fill patterns, in series order (the template defines one per name).
PATTERNS = ("solid", "hatch", "dots")


@dataclass(frozen=True)
class Segment:
    """One series' part of a bar."""

    series: str
    value: int
    x: float
    width: float
    pattern: str
    has_text: bool  # wide enough to carry its number
    text_x: float
    chip_width: float


@dataclass(frozen=True)
class Bar:
    """One labelled bar: its segments left to right and its total written at its end."""

    label: str
    total: int
    y: float
    height: float
    text_y: float  # the baseline of the label and numbers
    total_x: float
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class LegendEntry:
    label: str
    pattern: str
    x: float
    y: float


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart, ``width`` × ``height`` user units; ``label_width`` is the
    column of bar labels, ``description`` every number in words (the SVG's ``<desc>``)."""

    title: str
    description: str
    width: float
    height: float
    label_width: float
    bars: tuple[Bar, ...]
    legend: tuple[LegendEntry, ...]

    @property
    def is_stacked(self) -> bool:
        """Whether the bars have several series (and so a legend)."""
        return len(self.legend) > 1


def horizontal_bars(
    title: str, labels: Sequence[str], values: Sequence[int], *, width: float = CHART_WIDTH
) -> BarChart:
    """One bar per label, its length proportional to its value (the longest bar spans the
    plot area; all zero: no bar has length, every number is still written)."""
    return stacked_bars(title, labels, [title], [[value] for value in values], width=width)


def stacked_bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[str],
    rows: Sequence[Sequence[int]],
    *,
    width: float = CHART_WIDTH,
) -> BarChart:
    """One bar per label, stacked from the values of ``series`` in ``rows`` (a row per
    label, a value per series). At most ``len(PATTERNS)`` series; values must not be
    negative."""
    if len(labels) != len(rows):
        raise ValueError("one row of values per label")
    if len(series) > len(PATTERNS):
        raise ValueError(f"at most {len(PATTERNS)} series")
    if any(len(row) != len(series) or min(row, default=0) < 0 for row in rows):
        raise ValueError("one non-negative value per series in every row")
    label_width = min(
        MAX_LABEL_WIDTH,
        max(MIN_LABEL_WIDTH, max((len(label) for label in labels), default=0) * CHAR_WIDTH),
    )
    plot_x = PADDING + label_width + PADDING
    plot_width = max(1.0, width - plot_x - VALUE_ROOM)
    largest = max((sum(row) for row in rows), default=0)
    scale = plot_width / largest if largest else 0.0
    stacked = len(series) > 1
    legend: list[LegendEntry] = []
    if stacked:
        step = (width - plot_x) / len(series)
        legend = [
            LegendEntry(label=name, pattern=PATTERNS[index], x=plot_x + index * step, y=PADDING)
            for index, name in enumerate(series)
        ]
    top = PADDING + (LEGEND_HEIGHT if stacked else 0)
    bars = []
    for index, (label, row) in enumerate(zip(labels, rows, strict=True)):
        y = top + index * (BAR_HEIGHT + BAR_GAP)
        segments = []
        x = plot_x
        for position, value in enumerate(row):
            segment_width = value * scale
            chip_width = CHIP_PADDING + DIGIT_WIDTH * len(str(value))
            room = max(MIN_SEGMENT_TEXT_WIDTH, chip_width + 2)
            segments.append(
                Segment(
                    series=series[position],
                    value=value,
                    x=round(x, 2),
                    width=round(segment_width, 2),
                    pattern=PATTERNS[position],
                    has_text=stacked and value > 0 and segment_width >= room,
                    text_x=round(x + segment_width / 2, 2),
                    chip_width=chip_width,
                )
            )
            x += segment_width
        bars.append(
            Bar(
                label=label,
                total=sum(row),
                y=y,
                height=BAR_HEIGHT,
                text_y=y + BAR_HEIGHT / 2 + 5,
                total_x=round(x + 6, 2),
                segments=tuple(segments),
            )
        )
    height = top + len(bars) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP + PADDING
    return BarChart(
        title=title,
        description=describe(labels, series, rows),
        width=width,
        height=max(height, top + PADDING),
        label_width=label_width,
        bars=tuple(bars),
        legend=tuple(legend),
    )


def describe(labels: Sequence[str], series: Sequence[str], rows: Sequence[Sequence[int]]) -> str:
    """The chart's numbers as one sentence-like text: ``a: 2; b: 0`` for one series,
    ``a: x 1, y 2; b: x 0, y 0`` for several."""
    if len(series) == 1:
        return "; ".join(f"{label}: {row[0]}" for label, row in zip(labels, rows, strict=True))
    return "; ".join(
        f"{label}: " + ", ".join(f"{name} {value}" for name, value in zip(series, row, strict=True))
        for label, row in zip(labels, rows, strict=True)
    )
