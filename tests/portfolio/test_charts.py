"""Bar chart geometry: plain numbers in, coordinates out."""

from __future__ import annotations

import pytest

from caseflow.portfolio.charts import (
    BAR_GAP,
    BAR_HEIGHT,
    MIN_SEGMENT_TEXT_WIDTH,
    horizontal_bars,
    stacked_bars,
)


def test_bar_lengths_are_proportional_and_the_longest_fills_the_plot():
    chart = horizontal_bars("Bewerbungen", ["a", "b", "c"], [4, 0, 1], width=400)
    a, b, c = chart.bars
    plot_start = a.segments[0].x
    assert b.segments[0].x == c.segments[0].x == plot_start
    assert a.segments[0].width == pytest.approx(4 * c.segments[0].width)
    assert b.segments[0].width == 0
    # the number sits right after the bar's end
    assert a.total_x == pytest.approx(plot_start + a.segments[0].width + 6)
    assert a.total_x < 400
    assert [bar.total for bar in chart.bars] == [4, 0, 1]
    assert [bar.y for bar in chart.bars] == [
        a.y,
        a.y + BAR_HEIGHT + BAR_GAP,
        a.y + 2 * (BAR_HEIGHT + BAR_GAP),
    ]
    assert chart.height >= c.y + BAR_HEIGHT
    assert not chart.is_stacked
    assert chart.description == "a: 4; b: 0; c: 1"


def test_all_zero_draws_no_bar_but_every_number():
    chart = horizontal_bars("leer", ["a", "b"], [0, 0])
    assert [segment.width for bar in chart.bars for segment in bar.segments] == [0, 0]
    assert [bar.total for bar in chart.bars] == [0, 0]


def test_stacked_segments_follow_each_other_with_patterns_and_a_legend():
    chart = stacked_bars(
        "Zugangsbarrieren",
        ["Sprache", "Daten"],
        ["erkannt", "in Bearbeitung", "abgebaut"],
        [[10, 0, 10], [1, 1, 0]],
        width=640,
    )
    assert chart.is_stacked
    assert [entry.label for entry in chart.legend] == ["erkannt", "in Bearbeitung", "abgebaut"]
    assert [entry.pattern for entry in chart.legend] == ["solid", "hatch", "dots"]
    first = chart.bars[0]
    assert first.total == 20
    one, two, three = first.segments
    assert two.x == pytest.approx(one.x + one.width)
    assert three.x == pytest.approx(two.x + two.width)
    assert one.width == pytest.approx(three.width)
    assert one.has_text and three.has_text
    assert not two.has_text  # zero: nothing to write
    second = chart.bars[1]
    # 1 of 20: far narrower than a number needs; the table and the total carry it
    assert second.segments[0].width < MIN_SEGMENT_TEXT_WIDTH
    assert not second.segments[0].has_text
    assert second.total == 2
    # the legend takes room above the first bar
    assert first.y > chart.legend[0].y
    assert chart.description == (
        "Sprache: erkannt 10, in Bearbeitung 0, abgebaut 10; "
        "Daten: erkannt 1, in Bearbeitung 1, abgebaut 0"
    )


@pytest.mark.parametrize(
    ("labels", "series", "rows"),
    [
        (["a"], ["x"], [[1], [2]]),  # a row too many
        (["a"], ["x", "y"], [[1]]),  # a value too few
        (["a"], ["x"], [[-1]]),  # negative
        (["a"], ["w", "x", "y", "z"], [[1, 1, 1, 1]]),  # more series than patterns
    ],
)
def test_inconsistent_input_is_refused(labels, series, rows):
    with pytest.raises(ValueError):
        stacked_bars("t", labels, series, rows)


def test_a_segments_number_sits_on_a_chip_as_wide_as_its_digits():
    chart = stacked_bars("t", ["a"], ["x", "y"], [[100, 5]], width=640)
    wide, narrow = chart.bars[0].segments
    assert wide.has_text
    assert wide.chip_width > 3 * 7  # three digits
    assert wide.width >= wide.chip_width
    assert narrow.chip_width < wide.chip_width
