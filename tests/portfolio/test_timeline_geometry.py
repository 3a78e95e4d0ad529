"""The timeline's date → x scale (portfolio/geometry.py): pure, no app, no database."""

from __future__ import annotations

from datetime import date

import pytest

from caseflow.portfolio.geometry import (
    Span,
    Tick,
    Window,
    month_ticks,
    quarter_of,
    quarter_ticks,
    year_ticks,
)

# The default programme: 2024-04-01 … 2026-07-31 is 852 days (2024 is a leap year).
PROGRAMME = Window(date(2024, 4, 1), date(2026, 7, 31), 852.0)


def test_window_counts_both_ends_and_gives_each_day_the_same_width():
    assert PROGRAMME.days == 852
    assert PROGRAMME.pixels_per_day == 1.0
    assert Window(date(2025, 1, 1), date(2025, 1, 1), 10).days == 1
    assert Window(date(2025, 1, 1), date(2025, 1, 10), 250).pixels_per_day == 25.0


def test_x_of_a_day_is_its_left_edge():
    assert PROGRAMME.x(date(2024, 4, 1)) == 0
    assert PROGRAMME.x(date(2024, 5, 1)) == 30  # April has 30 days
    assert PROGRAMME.x(date(2025, 4, 1)) == 365  # 2024-04 … 2025-03 holds no 29 February
    assert PROGRAMME.x(date(2026, 7, 31)) == 851
    # Outside the window the scale simply goes on (clipping is a separate step).
    assert PROGRAMME.x(date(2024, 3, 31)) == -1
    assert PROGRAMME.x(date(2026, 8, 1)) == 852


def test_window_refuses_an_end_before_its_start_and_a_width_that_is_not_positive():
    with pytest.raises(ValueError):
        Window(date(2025, 1, 2), date(2025, 1, 1), 100)
    with pytest.raises(ValueError):
        Window(date(2025, 1, 1), date(2025, 1, 31), 0)


def test_contains_includes_both_ends():
    assert PROGRAMME.contains(date(2024, 4, 1))
    assert PROGRAMME.contains(date(2026, 7, 31))
    assert not PROGRAMME.contains(date(2024, 3, 31))
    assert not PROGRAMME.contains(date(2026, 8, 1))


def test_a_span_inside_the_window_covers_its_first_to_its_last_day():
    span = PROGRAMME.clip(date(2025, 1, 1), date(2025, 12, 31))
    assert span == Span(
        first=date(2025, 1, 1),
        last=date(2025, 12, 31),
        x=275.0,  # April–December 2024: 30+31+30+31+31+30+31+30+31
        width=365.0,
        is_cut_before=False,
        is_cut_after=False,
    )


def test_a_one_day_span_is_one_day_wide():
    span = PROGRAMME.clip(date(2025, 2, 28), date(2025, 2, 28))
    assert span is not None
    assert (span.x, span.width) == (333.0, 1.0)


def test_a_span_that_starts_before_the_window_is_cut_at_its_left_edge():
    span = PROGRAMME.clip(date(2023, 10, 1), date(2024, 9, 30))
    assert span == Span(
        first=date(2024, 4, 1),
        last=date(2024, 9, 30),
        x=0.0,
        width=183.0,
        is_cut_before=True,
        is_cut_after=False,
    )


def test_a_span_that_ends_after_the_window_is_cut_at_its_right_edge():
    span = PROGRAMME.clip(date(2026, 2, 1), date(2026, 8, 31))
    assert span is not None
    assert span.last == date(2026, 7, 31)
    assert span.x + span.width == 852.0  # the window's last day ends at its width
    assert (span.is_cut_before, span.is_cut_after) == (False, True)


def test_a_span_over_the_whole_window_and_beyond_is_cut_on_both_sides():
    span = PROGRAMME.clip(date(2024, 1, 1), date(2027, 1, 1))
    assert span is not None
    assert (span.x, span.width, span.is_cut_before, span.is_cut_after) == (0.0, 852.0, True, True)


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2023, 1, 1), date(2024, 3, 31)),  # ends the day before the window
        (date(2026, 8, 1), date(2027, 1, 31)),  # starts the day after it
        (date(2025, 5, 2), date(2025, 5, 1)),  # ends before it starts
    ],
)
def test_a_span_without_a_day_in_the_window_has_no_part_to_draw(first, last):
    assert PROGRAMME.clip(first, last) is None


def test_spans_touching_the_window_by_one_day_keep_that_day():
    before = PROGRAMME.clip(date(2024, 1, 1), date(2024, 4, 1))
    after = PROGRAMME.clip(date(2026, 7, 31), date(2026, 12, 31))
    assert before is not None and (before.x, before.width) == (0.0, 1.0)
    assert after is not None and (after.x, after.width) == (851.0, 1.0)


def test_month_ticks_have_the_exact_width_of_each_month():
    ticks = month_ticks(PROGRAMME)
    assert len(ticks) == 28  # April 2024 … July 2026
    assert ticks[0] == Tick(first=date(2024, 4, 1), x=0.0, width=30.0)
    assert ticks[-1] == Tick(first=date(2026, 7, 1), x=821.0, width=31.0)
    widths = {tick.first: tick.width for tick in ticks}
    assert widths[date(2025, 2, 1)] == 28.0
    assert widths[date(2024, 12, 1)] == 31.0
    assert widths[date(2025, 11, 1)] == 30.0
    # The months tile the window without gap or overlap.
    for previous, following in zip(ticks, ticks[1:], strict=False):
        assert previous.x + previous.width == following.x
    assert sum(tick.width for tick in ticks) == 852.0


def test_a_leap_february_is_29_days_wide():
    window = Window(date(2024, 1, 1), date(2024, 12, 31), 366)
    february = month_ticks(window)[1]
    assert (february.first, february.x, february.width) == (date(2024, 2, 1), 31.0, 29.0)


def test_ticks_of_a_window_starting_and_ending_mid_month_are_clipped_but_keep_the_period():
    window = Window(date(2025, 1, 15), date(2025, 3, 10), 55)  # 55 days at 1 px
    assert month_ticks(window) == [
        Tick(first=date(2025, 1, 1), x=0.0, width=17.0),  # 15 … 31 January
        Tick(first=date(2025, 2, 1), x=17.0, width=28.0),
        Tick(first=date(2025, 3, 1), x=45.0, width=10.0),  # 1 … 10 March
    ]
    assert quarter_ticks(window) == [Tick(first=date(2025, 1, 1), x=0.0, width=55.0)]


def test_quarter_ticks_begin_in_january_april_july_and_october():
    ticks = quarter_ticks(PROGRAMME)
    assert [tick.first for tick in ticks] == [
        date(2024, 4, 1),
        date(2024, 7, 1),
        date(2024, 10, 1),
        date(2025, 1, 1),
        date(2025, 4, 1),
        date(2025, 7, 1),
        date(2025, 10, 1),
        date(2026, 1, 1),
        date(2026, 4, 1),
        date(2026, 7, 1),
    ]
    assert [tick.width for tick in ticks] == [91, 92, 92, 90, 91, 92, 92, 90, 91, 31]


def test_year_ticks_clip_the_first_and_last_year_to_the_window():
    assert year_ticks(PROGRAMME) == [
        Tick(first=date(2024, 1, 1), x=0.0, width=275.0),  # April … December 2024
        Tick(first=date(2025, 1, 1), x=275.0, width=365.0),
        Tick(first=date(2026, 1, 1), x=640.0, width=212.0),  # January … July 2026
    ]


def test_ticks_scale_with_the_width():
    window = Window(date(2025, 1, 1), date(2025, 12, 31), 730)  # 2 px a day
    months = month_ticks(window)
    assert (months[1].x, months[1].width) == (62.0, 56.0)
    assert months[-1].x + months[-1].width == 730.0


def test_a_one_day_window_has_one_tick_of_each_kind():
    window = Window(date(2025, 12, 31), date(2025, 12, 31), 10)
    for ticks in (month_ticks(window), quarter_ticks(window), year_ticks(window)):
        assert len(ticks) == 1
        assert (ticks[0].x, ticks[0].width) == (0.0, 10.0)


@pytest.mark.parametrize(
    ("day", "quarter"),
    [
        (date(2025, 1, 1), 1),
        (date(2025, 3, 31), 1),
        (date(2025, 4, 1), 2),
        (date(2025, 9, 30), 3),
        (date(2025, 10, 1), 4),
        (date(2025, 12, 31), 4),
    ],
)
def test_quarter_of(day, quarter):
    assert quarter_of(day) == quarter
