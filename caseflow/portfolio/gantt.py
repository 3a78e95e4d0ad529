"""The timeline chart's layout: the engagements of ``timeline`` placed on the programme's
calendar, with everything the chart draws (x, width, shape, tooltip) computed once, so the
template only writes it out, and the warnings a project lead should see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy.orm import Session

from caseflow.engagements.models import (
    EngagementStatus,
)
from caseflow.portfolio.geometry import (
    ONE_DAY,
    Tick,
    Window,
    month_ticks,
    quarter_of,
    quarter_ticks,
    year_ticks,
)
from caseflow.portfolio.timeline import (
    GroupBy,
    MilestoneState,
    TimelineEngagement,
    TimelineFilters,
    group_engagements,
    load_engagements,
)
from caseflow.portfolio.warnings import TimelineWarning, warnings_for
from caseflow.web.i18n import format_day

# The chart's fixed layout in SVG user units (pixels at 100 %).
LABEL_WIDTH = 230
PLOT_WIDTH = 920
RIGHT_MARGIN = 16  # room for the "continues" arrow after the last day
CHART_WIDTH = LABEL_WIDTH + PLOT_WIDTH + RIGHT_MARGIN
LINE_LABEL_HEIGHT = 36  # two lines naming the programme-end and "today" lines
AXIS_ROW_HEIGHT = 20  # each of the year, quarter and month rows (_timeline_chart.html)
HEADER_HEIGHT = LINE_LABEL_HEIGHT + 3 * AXIS_ROW_HEIGHT
GROUP_HEIGHT = 28
ROW_HEIGHT = 24
BAR_HEIGHT = 14
BOTTOM_MARGIN = 8
LABEL_CHARACTERS = 32  # organisation names longer than this are shortened in the chart
PHASE_STYLES = 5  # distinct phase fills (colour and pattern); later phases repeat them


@dataclass(slots=True)
class ChartRow:
    """One engagement's row, ready to write out: its y (top, bar top, middle), link, texts
    in German, and the markup of its bar, its markers and its table milestones.

    The markup is built here (texts escaped) because it repeats for every phase and
    milestone, thousands on a page, and a template loop over them is too slow.
    """

    engagement: TimelineEngagement
    y: int
    href: str
    label: str
    tooltip: str = ""
    start_text: str = ""
    end_text: str = ""
    status_text: str = ""
    bar_x: float | None = None  # None: nothing of the engagement lies inside the window
    is_cut_before: bool = False
    is_cut_after: bool = False
    # Ready markup, texts escaped; plain str, written out where the template has turned
    # autoescaping off (a Markup per row would be one more object for the garbage collector).
    bar_svg: str = ""
    markers_svg: str = ""
    milestones_html: str = ""
    warnings: tuple[TimelineWarning, ...] = ()

    @property
    def bar_y(self) -> int:
        return self.y + (ROW_HEIGHT - BAR_HEIGHT) // 2

    @property
    def mid_y(self) -> int:
        return self.y + ROW_HEIGHT // 2


@dataclass(slots=True)
class ChartGroup:
    """A group heading row and the engagement rows below it."""

    label: str
    y: int
    rows: list[ChartRow]


@dataclass(frozen=True)
class AxisCell:
    x: float
    width: float
    label: str


@dataclass(frozen=True)
class TimelineChart:
    """Everything the page draws: the grid, the groups of rows, the lines, the warnings."""

    window: Window
    groups: list[ChartGroup]
    years: list[AxisCell]
    quarters: list[AxisCell]
    months: list[AxisCell]
    height: int
    today: date
    today_x: float | None  # None: today lies outside the window
    programme_end: date
    programme_end_x: float | None
    # The legend's phases: each drawn style with the phase name first seen at its position.
    phase_styles: list[tuple[int, str]]

    @property
    def rows(self) -> list[ChartRow]:
        """Every engagement row in chart order."""
        return [row for group in self.groups for row in group.rows]

    @property
    def warned_rows(self) -> list[ChartRow]:
        """The rows with at least one warning, in chart order."""
        return [row for row in self.rows if row.warnings]

    @property
    def warning_count(self) -> int:
        return sum(len(row.warnings) for row in self.rows)


# ---------------------------------------------------------------- layout


def _cached_days() -> Callable[[date], str]:
    """``format_day`` with a cache for one page: 15,000 milestones share a few hundred days."""
    cache: dict[date, str] = {}

    def day(value: date) -> str:
        text = cache.get(value)
        if text is None:
            text = cache[value] = format_day(value)
        return text

    return day


def _axis(ticks: list[Tick], label: Callable[[date], str]) -> list[AxisCell]:
    return [AxisCell(round(t.x, 2), round(t.width, 2), label(t.first)) for t in ticks]


def _short(name: str) -> str:
    if len(name) <= LABEL_CHARACTERS:
        return name
    return name[: LABEL_CHARACTERS - 1].rstrip() + "…"


@dataclass(frozen=True)
class _Words:
    """The German words the chart repeats, translated once per page."""

    states: dict[MilestoneState, str]
    statuses: dict[EngagementStatus, str]
    due: str
    moved: str
    phase: str
    cut_before: str
    cut_after: str
    outside: str

    @classmethod
    def translated(cls) -> _Words:
        return cls(
            states={
                MilestoneState.DONE: _("erledigt"),
                MilestoneState.OPEN: _("offen"),
                MilestoneState.OVERDUE: _("überfällig"),
                MilestoneState.DROPPED: _("entfallen"),
            },
            statuses={status: status.label for status in EngagementStatus},
            due=_("fällig am"),
            moved=_("ursprünglich fällig am"),
            phase=_("aktuelle Phase"),
            cut_before=_("beginnt vor dem dargestellten Zeitraum"),
            cut_after=_("endet nach dem dargestellten Zeitraum"),
            outside=_("liegt außerhalb des dargestellten Zeitraums"),
        )


def build_chart(
    engagements: list[TimelineEngagement],
    *,
    group_by: GroupBy,
    window: Window,
    today: date,
    programme_end: date,
    link: Callable[[int], str],
) -> TimelineChart:
    """Lay the engagements out on ``window``: a row per engagement under its group's
    heading, bars split into phases and clipped to the window, milestone markers (dropped
    milestones are listed in the table but not drawn), moved milestones' baselines, and the
    warnings. ``link`` gives an engagement's page from its id.

    A bar runs from the start to the end (the actual end once closed, else the planned end);
    phases are drawn only within that span. ``today`` and ``programme_end`` get a line each
    when they lie inside the window.
    """
    day = _cached_days()
    words = _Words.translated()
    phase_names: dict[int, str] = {}
    positions: dict[date, str | None] = {}
    y = HEADER_HEIGHT
    groups: list[ChartGroup] = []
    for label, members in group_engagements(engagements, group_by):
        group = ChartGroup(label=f"{label} ({len(members)})", y=y, rows=[])
        y += GROUP_HEIGHT
        for engagement in members:
            for phase in engagement.phases:
                phase_names.setdefault(phase[0], phase[1])
            row = ChartRow(
                engagement=engagement,
                y=y,
                href=link(engagement.id),
                label=_short(engagement.organisation),
                start_text=day(engagement.start_date),
                end_text=day(engagement.end_date),
                status_text=words.statuses[engagement.status],
            )
            _place_bar(row, window)
            _place_milestones(row, window, words, day, positions)
            row.tooltip = _tooltip(row, words)
            row.warnings = tuple(warnings_for(engagement, today=today, programme_end=programme_end))
            group.rows.append(row)
            y += ROW_HEIGHT
        groups.append(group)
    half_day = window.pixels_per_day / 2
    return TimelineChart(
        window=window,
        groups=groups,
        years=_axis(year_ticks(window), lambda first: str(first.year)),
        quarters=_axis(
            quarter_ticks(window),
            lambda first: _("Q%(quarter)d %(year)d", quarter=quarter_of(first), year=first.year),
        ),
        months=_axis(month_ticks(window), lambda first: format_date(first, "LLL")),
        height=y + BOTTOM_MARGIN,
        today=today,
        today_x=round(window.x(today) + half_day, 2) if window.contains(today) else None,
        programme_end=programme_end,
        programme_end_x=(
            round(window.x(programme_end + ONE_DAY), 2) if window.contains(programme_end) else None
        ),
        phase_styles=[
            ((position - 1) % PHASE_STYLES + 1, name)
            for position, name in sorted(phase_names.items())
        ],
    )


def _tooltip(row: ChartRow, words: _Words) -> str:
    """The bar's tooltip: organisation, dates, status, current phase, how it is cut."""
    engagement = row.engagement
    parts = [
        engagement.organisation,
        f"{row.start_text} – {row.end_text}",
        row.status_text,
    ]
    if engagement.current_phase:
        parts.append(f"{words.phase}: {engagement.current_phase}")
    if row.bar_x is None:
        parts.append(words.outside)
    if row.is_cut_before:
        parts.append(words.cut_before)
    if row.is_cut_after:
        parts.append(words.cut_after)
    return ", ".join(parts)


def _place_bar(row: ChartRow, window: Window) -> None:
    """The markup of the row's bar: its phase pieces (clipped to the window and to the
    engagement's span), its outline, and an arrow at each window edge it runs past."""
    engagement = row.engagement
    first, last = engagement.start_date, engagement.end_date
    span = window.clip(first, last)
    if span is None:
        return
    row.bar_x = span.x
    row.is_cut_before = span.is_cut_before
    row.is_cut_after = span.is_cut_after
    top, mid = row.bar_y, row.mid_y
    pieces: list[tuple[float, float, int]] = []
    for position, _name, start, end, _begun in engagement.phases:
        piece = window.clip(max(start, first), min(end, last))
        if piece is not None:
            pieces.append((piece.x, piece.width, (position - 1) % PHASE_STYLES + 1))
    if not engagement.phases:
        pieces.append((span.x, span.width, 0))
    parts = [
        f'<rect x="{x:.2f}" y="{top}" width="{width:.2f}" height="{BAR_HEIGHT}" '
        f'fill="url(#tl-p{style})" stroke="#fff" stroke-width="0.75"/>'
        for x, width, style in pieces
    ]
    parts.append(
        f'<rect class="tl-bar" x="{span.x:.2f}" y="{top}" width="{span.width:.2f}" '
        f'height="{BAR_HEIGHT}"/>'
    )
    if span.is_cut_before:
        parts.append(f'<use href="#tl-cut-before" x="0" y="{mid}"/>')
    if span.is_cut_after:
        parts.append(f'<use href="#tl-cut-after" x="{window.width:.2f}" y="{mid}"/>')
    row.bar_svg = "".join(parts)


def _place_milestones(
    row: ChartRow,
    window: Window,
    words: _Words,
    day: Callable[[date], str],
    positions: dict[date, str | None],
) -> None:
    """The markup of the row's markers (with the baselines of moved milestones under them)
    and of its milestone list in the table; each milestone's text is escaped once for both.

    A marker sits in the middle of its day; milestones due outside the window are listed in
    the table only, as are dropped ones. ``positions`` caches each day's x (None: outside the
    window) for the whole chart: thousands of milestones share a few hundred days.
    """
    half_day = window.pixels_per_day / 2
    mid = row.mid_y
    baselines: list[str] = []
    markers: list[str] = []
    items: list[str] = []
    for milestone in row.engagement.milestones:
        due = milestone.due_date
        text = f"{milestone.title}: {words.due} {day(due)}, {words.states[milestone.state]}"
        is_moved = milestone.baseline_due_date != due
        if is_moved:
            text += f" ({words.moved} {day(milestone.baseline_due_date)})"
        milestone.text = text
        safe = escape(text)
        items.append(f"<li>{safe}</li>")
        if milestone.state is MilestoneState.DROPPED:
            continue
        x = _position(due, window, half_day, positions)
        if x is None:
            continue
        markers.append(
            f'<use class="tl-marker" href="#tl-m-{milestone.state.value}" x="{x}" '
            f'y="{mid}"><title>{safe}</title></use>'
        )
        if is_moved:
            baseline_x = _position(milestone.baseline_due_date, window, half_day, positions)
            if baseline_x is not None:
                left, right = sorted((float(x), float(baseline_x)))
                baselines.append(
                    f'<line class="tl-moved" x1="{left:.2f}" x2="{right:.2f}" y1="{mid}" '
                    f'y2="{mid}"/><use href="#tl-m-baseline" x="{baseline_x}" y="{mid}"/>'
                )
    # The only text in these pieces went through escape() above; the rest are numbers and
    # fixed names.
    row.markers_svg = "".join(baselines) + "".join(markers)
    if items:
        row.milestones_html = f'<ul class="tl-milestones">{"".join(items)}</ul>'


def _position(
    day: date, window: Window, half_day: float, positions: dict[date, str | None]
) -> str | None:
    """The x of the middle of ``day`` as SVG writes it, or None outside the window."""
    if day in positions:
        return positions[day]
    x = f"{window.x(day) + half_day:.2f}" if window.contains(day) else None
    positions[day] = x
    return x


def timeline_chart(
    session: Session,
    *,
    today: date,
    programme_start: date,
    programme_end: date,
    filters: TimelineFilters,
    group_by: GroupBy,
    link: Callable[[int], str],
) -> TimelineChart:
    """The /timeline page's chart over the programme window (``programme_start`` …
    ``programme_end``), for the engagements ``filters`` lets through (``link``: an
    engagement's page from its id); three statements."""
    engagements = load_engagements(session, today=today, filters=filters)
    window = Window(programme_start, programme_end, PLOT_WIDTH)
    return build_chart(
        engagements,
        group_by=group_by,
        window=window,
        today=today,
        programme_end=programme_end,
        link=link,
    )
