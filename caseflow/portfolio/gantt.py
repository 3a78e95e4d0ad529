"""The timeline chart's layout: the engagements of ``timeline`` placed on the programme's
calendar, with everything the chart draws (x, width, shape, tooltip) computed once, so the
template only writes it out, and the warnings a project lead should see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from caseflow.engagements.models import EngagementStatus
from caseflow.engagements.rules import MAX_MONTHS, MIN_MONTHS
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
from caseflow.translating import gettext as _
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

    The markup is built here, every text in it escaped with ``escape()``, because it repeats
    for every phase and milestone, thousands on a page, and a template loop over them is
    too slow; it is ``Markup``, so the template (autoescaping on) writes it as it is.
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
    bar_svg: Markup = Markup()
    markers_svg: Markup = Markup()
    milestones_html: Markup = Markup()
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
    """A cell of the axis; ``label`` is empty where the cell is too narrow for it."""

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
    # The legend's phases: each drawn style with its words (``_phase_legend``).
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


# An axis label's width in pixels: a generous width per character at the axis's 11px font
# (no font metrics on the server), plus the text's offset from the cell's left edge.
AXIS_CHARACTER_WIDTH = 6.5
AXIS_LABEL_PADDING = 4


def _axis(ticks: list[Tick], labels: Callable[[date], tuple[str, ...]]) -> list[AxisCell]:
    """The cells of one axis row. ``labels`` gives a period's labels, longest first; a cell
    cut by the window's edge can be a few pixels wide (a window starting on the 28th), so
    it gets the longest label that fits, or none."""
    cells = []
    for tick in ticks:
        text = next(
            (
                label
                for label in labels(tick.first)
                if len(label) * AXIS_CHARACTER_WIDTH + AXIS_LABEL_PADDING <= tick.width
            ),
            "",
        )
        cells.append(AxisCell(round(tick.x, 2), round(tick.width, 2), text))
    return cells


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
    lead_order: Sequence[int] = (),
    durations: tuple[int, int] = (MIN_MONTHS, MAX_MONTHS),
) -> TimelineChart:
    """Lay the engagements out on ``window``: a row per engagement under its group's
    heading, bars split into phases and clipped to the window, milestone markers (dropped
    milestones are listed in the table but not drawn), moved milestones' baselines, and the
    warnings. ``link`` gives an engagement's page from its id, ``lead_order`` orders the
    lead groups (``group_engagements``).

    A bar runs from the start to the end (the actual end once closed, else the planned end);
    phases are drawn only within that span. ``today`` and ``programme_end`` get a line each
    when they lie inside the window.
    """
    day = _cached_days()
    words = _Words.translated()
    phase_names: dict[int, str] = {}
    positions = _DayPositions(window)
    y = HEADER_HEIGHT
    groups: list[ChartGroup] = []
    for label, members in group_engagements(engagements, group_by, lead_order):
        group = ChartGroup(label=f"{label} ({len(members)})", y=y, rows=[])
        y += GROUP_HEIGHT
        for engagement in members:
            for phase in engagement.phases:
                phase_names.setdefault(phase.position, phase.name)
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
            _place_milestones(row, words, day, positions)
            row.tooltip = _tooltip(row, words)
            row.warnings = tuple(
                warnings_for(
                    engagement, today=today, programme_end=programme_end, durations=durations
                )
            )
            group.rows.append(row)
            y += ROW_HEIGHT
        groups.append(group)
    half_day = window.pixels_per_day / 2
    return TimelineChart(
        window=window,
        groups=groups,
        years=_axis(year_ticks(window), lambda first: (str(first.year),)),
        quarters=_axis(
            quarter_ticks(window),
            lambda first: (
                _("Q%(quarter)d %(year)d", quarter=quarter_of(first), year=first.year),
                _("Q%(quarter)d", quarter=quarter_of(first)),
            ),
        ),
        months=_axis(month_ticks(window), lambda first: (format_date(first, "LLL"),)),
        height=y + BOTTOM_MARGIN,
        today=today,
        today_x=round(window.x(today) + half_day, 2) if window.contains(today) else None,
        programme_end=programme_end,
        programme_end_x=(
            round(window.x(programme_end + ONE_DAY), 2) if window.contains(programme_end) else None
        ),
        phase_styles=_phase_legend(phase_names),
    )


def phase_style(position: int) -> int:
    """The fill (1 … ``PHASE_STYLES``) of the phase at ``position``: phase 6 looks like 1."""
    return (position - 1) % PHASE_STYLES + 1


def _phase_legend(phase_names: dict[int, str]) -> list[tuple[int, str]]:
    """Each phase fill drawn with its legend words.

    A position's name is the one of the first engagement seen with a phase there (in chart
    order): every engagement copies its phases from the one default template, so the names
    agree; an engagement with renamed phases is still drawn by position. Positions beyond
    ``PHASE_STYLES`` share a fill with an earlier one: the swatch then names every position
    and name it stands for ("Phase 1 / 6: Analyse / Abschluss"); up to five phases it says
    "Phase: Analyse".
    """
    by_style: dict[int, list[tuple[int, str]]] = {}
    for position, name in sorted(phase_names.items()):
        by_style.setdefault(phase_style(position), []).append((position, name))
    legend = []
    for style, entries in sorted(by_style.items()):
        if len(entries) == 1:
            text = _("Phase: %(name)s", name=entries[0][1])
        else:
            text = _(
                "Phase %(positions)s: %(names)s",
                positions=" / ".join(str(position) for position, _name in entries),
                names=" / ".join(name for _position, name in entries),
            )
        legend.append((style, text))
    return legend


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
    for phase in engagement.phases:
        piece = window.clip(max(phase.start_date, first), min(phase.end_date, last))
        if piece is not None:
            pieces.append((piece.x, piece.width, phase_style(phase.position)))
    if not engagement.phases:
        pieces.append((span.x, span.width, 0))
    parts = [
        f'<rect x="{x:.2f}" y="{top}" width="{width:.2f}" height="{BAR_HEIGHT}" '
        f'fill="url(#tl-p{style})" stroke="#fff" stroke-width="0.75"/>'
        for x, width, style in pieces
    ]
    # No phases: a dashed outline besides the grey, so it differs from phase 1 by more than
    # its colour.
    outline = "tl-bar tl-bar--plain" if not engagement.phases else "tl-bar"
    parts.append(
        f'<rect class="{outline}" x="{span.x:.2f}" y="{top}" width="{span.width:.2f}" '
        f'height="{BAR_HEIGHT}"/>'
    )
    if span.is_cut_before:
        parts.append(f'<use href="#tl-cut-before" x="0" y="{mid}"/>')
    if span.is_cut_after:
        parts.append(f'<use href="#tl-cut-after" x="{window.width:.2f}" y="{mid}"/>')
    # Numbers and fixed names only: nothing to escape.
    row.bar_svg = Markup("".join(parts))  # noqa: S704


# Each drawn state's marker symbol (in _timeline_chart.html's <defs>).
_SYMBOLS = {state: f"#tl-m-{state.value}" for state in MilestoneState}


class _DayPositions(dict[date, str | None]):
    """The x of the middle of each day as SVG writes it (None: outside the window), computed
    once per day for the whole chart: thousands of milestones share a few hundred days."""

    def __init__(self, window: Window) -> None:
        super().__init__()
        self.window = window
        self.half_day = window.pixels_per_day / 2

    def __missing__(self, day: date) -> str | None:
        window = self.window
        x = f"{window.x(day) + self.half_day:.2f}" if window.contains(day) else None
        self[day] = x
        return x


def _place_milestones(
    row: ChartRow,
    words: _Words,
    day: Callable[[date], str],
    positions: _DayPositions,
) -> None:
    """The markup of the row's markers (with the baselines of moved milestones under them)
    and of its milestone list in the table; each milestone's text is escaped once for both.

    A marker sits in the middle of its day; milestones due outside the window are listed in
    the table only, as are dropped ones.
    """
    mid = row.mid_y
    baselines: list[str] = []
    markers: list[str] = []
    items: list[str] = []
    states = words.states
    due_word, moved_word = words.due, words.moved
    dropped = MilestoneState.DROPPED
    for milestone in row.engagement.milestones:
        due = milestone.due_date
        baseline = milestone.baseline_due_date
        text = f"{milestone.title}: {due_word} {day(due)}, {states[milestone.state]}"
        if baseline != due:
            text += f" ({moved_word} {day(baseline)})"
        safe = escape(text)
        items.append(f"<li>{safe}</li>")
        if milestone.state is dropped:
            continue
        x = positions[due]
        if x is None:
            continue
        markers.append(
            f'<use href="{_SYMBOLS[milestone.state]}" x="{x}" y="{mid}"><title>{safe}</title></use>'
        )
        if baseline != due:
            baseline_x = positions[baseline]
            if baseline_x is not None:
                left, right = sorted((float(x), float(baseline_x)))
                # The white line under the dashed one keeps it visible on dark phase fills.
                baselines.append(
                    f'<line class="tl-moved-under" x1="{left:.2f}" x2="{right:.2f}" '
                    f'y1="{mid}" y2="{mid}"/><line class="tl-moved" x1="{left:.2f}" '
                    f'x2="{right:.2f}" y1="{mid}" y2="{mid}"/>'
                    f'<use href="#tl-m-baseline" x="{baseline_x}" y="{mid}"/>'
                )
    # The only text in these pieces went through escape() above; the rest are numbers and
    # fixed names.
    row.markers_svg = Markup("".join(baselines) + "".join(markers))  # noqa: S704
    if items:
        row.milestones_html = Markup(f'<ul class="tl-milestones">{"".join(items)}</ul>')  # noqa: S704


def timeline_chart(
    session: Session,
    *,
    today: date,
    programme_start: date,
    programme_end: date,
    filters: TimelineFilters,
    group_by: GroupBy,
    link: Callable[[int], str],
    lead_order: Sequence[int] = (),
    durations: tuple[int, int] = (MIN_MONTHS, MAX_MONTHS),
) -> TimelineChart:
    """The /timeline page's chart over the programme window (``programme_start`` …
    ``programme_end``), for the engagements ``filters`` lets through (``link``: an
    engagement's page from its id; ``lead_order``: ``group_engagements``); three
    statements."""
    engagements = load_engagements(session, today=today, filters=filters)
    window = Window(programme_start, programme_end, PLOT_WIDTH)
    return build_chart(
        engagements,
        group_by=group_by,
        window=window,
        today=today,
        programme_end=programme_end,
        link=link,
        lead_order=lead_order,
        durations=durations,
    )
