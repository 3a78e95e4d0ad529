"""Geometry of the before/after chart: per barrier category two horizontal bars on a scale of
0 to 100, the round at the start hatched, the round at the end solid, each with its score
written at its end, and the change beside them. Pure numbers in, coordinates out;
``templates/outcomes/_comparison_chart.html`` draws them as SVG. The two rounds differ by
pattern and by a legend, never by colour alone; the page keeps a table with the same figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from caseflow.outcomes.rules import CategoryChange

WIDTH = 680
LABEL_WIDTH = 200
SCALE_WIDTH = 340
BAR_HEIGHT = 16
PAIR_GAP = 14
LEGEND_HEIGHT = 30
AXIS_HEIGHT = 22
PADDING = 8
TICKS = (0, 25, 50, 75, 100)


@dataclass(frozen=True)
class ChartBar:
    y: float
    width: float  # 0 when the round has no score for the category
    value: float | None
    text_x: float


@dataclass(frozen=True)
class ChartRow:
    label: str
    label_y: float
    before: ChartBar
    after: ChartBar
    change: float | None
    change_x: float


@dataclass(frozen=True)
class Tick:
    value: int
    x: float


@dataclass(frozen=True)
class ComparisonChart:
    width: int
    height: float
    scale_x: float
    scale_width: float
    axis_y: float
    rows: tuple[ChartRow, ...]
    ticks: tuple[Tick, ...]
    title: str
    description: str


def _bar(y: float, value: float | None, scale_x: float) -> ChartBar:
    width = 0.0 if value is None else max(0.0, min(100.0, value)) / 100 * SCALE_WIDTH
    return ChartBar(y=y, width=width, value=value, text_x=scale_x + width + 6)


def comparison_chart(
    changes: Sequence[CategoryChange], labels: Sequence[str], *, title: str, description: str
) -> ComparisonChart:
    """The chart of ``changes`` (one per category, with ``labels`` in the same order)."""
    scale_x = PADDING + LABEL_WIDTH + 8
    top = PADDING + LEGEND_HEIGHT
    rows = []
    for index, (change, label) in enumerate(zip(changes, labels, strict=True)):
        y = top + index * (2 * BAR_HEIGHT + PAIR_GAP)
        rows.append(
            ChartRow(
                label=label,
                label_y=y + BAR_HEIGHT + 4,
                before=_bar(y, change.before, scale_x),
                after=_bar(y + BAR_HEIGHT, change.after, scale_x),
                change=change.change,
                change_x=scale_x + SCALE_WIDTH + 52,
            )
        )
    axis_y = top + len(rows) * (2 * BAR_HEIGHT + PAIR_GAP)
    return ComparisonChart(
        width=WIDTH,
        height=axis_y + AXIS_HEIGHT + PADDING,
        scale_x=scale_x,
        scale_width=SCALE_WIDTH,
        axis_y=axis_y,
        rows=tuple(rows),
        ticks=tuple(Tick(value=t, x=scale_x + t / 100 * SCALE_WIDTH) for t in TICKS),
        title=title,
        description=description,
    )
