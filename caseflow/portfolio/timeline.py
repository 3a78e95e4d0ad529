"""The timeline's data: every engagement with its phases and milestones, grouped, laid out
on the programme's calendar, with the warnings a project lead should see.

Three statements of plain columns (engagements, phases, milestones) whatever the number of
rows; everything the chart draws (x, width, shape, tooltip) is computed here once, so the
template only writes it out.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import format_date
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.engagements.models import (
    CLOSED_STATUSES,
    Assignment,
    AssignmentRole,
    Engagement,
    EngagementStatus,
    Milestone,
    MilestoneStatus,
    Phase,
)
from caseflow.organisations.choices import District, Sector
from caseflow.organisations.models import Organisation
from caseflow.portfolio.geometry import (
    ONE_DAY,
    Tick,
    Window,
    month_ticks,
    quarter_of,
    quarter_ticks,
    year_ticks,
)
from caseflow.portfolio.warnings import TimelineWarning, warnings_for
from caseflow.staff.models import StaffMember
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
# Rows fetched at a time: thousands of rows held at once would outlive the young garbage
# collector generations and make the old ones collect the whole heap.
CHUNK_ROWS = 1000


class GroupBy(enum.StrEnum):
    LEAD = "lead"
    SECTOR = "sector"
    DISTRICT = "district"


class MilestoneState(enum.StrEnum):
    """How the chart draws a milestone (its shape and the legend's words)."""

    DONE = "done"
    OPEN = "open"
    OVERDUE = "overdue"
    DROPPED = "dropped"


@dataclass(frozen=True)
class TimelineFilters:
    """Which engagements the timeline shows (None: no restriction)."""

    status: EngagementStatus | None = None
    member_id: int | None = None
    sector: Sector | None = None
    district: District | None = None


# A phase: position, name, planned start and end, the day it was begun. A plain tuple, not a
# class: the garbage collector stops tracking tuples of plain values, and thousands of
# tracked objects per page made it sweep the whole heap (a third of the page's time).
TimelinePhase = tuple[int, str, date, date, date | None]


@dataclass(slots=True)
class TimelineMilestone:
    """A milestone as the chart and the table show it; ``state`` is derived from its status,
    its due date and today, ``text`` is its tooltip and table entry."""

    title: str
    due_date: date
    baseline_due_date: date
    status: MilestoneStatus
    state: MilestoneState = MilestoneState.OPEN
    text: str = ""

    @property
    def has_moved(self) -> bool:
        """True when the milestone is no longer due on its first planned date."""
        return self.baseline_due_date != self.due_date


@dataclass(slots=True)
class TimelineEngagement:
    """One engagement with what the timeline draws and checks."""

    id: int
    organisation: str
    sector: Sector
    district: District
    status: EngagementStatus
    start_date: date
    planned_end_date: date
    actual_end_date: date | None
    status_changed_on: date  # the Berlin day of the last status change
    lead_name: str | None
    phases: list[TimelinePhase] = field(default_factory=list)
    milestones: list[TimelineMilestone] = field(default_factory=list)
    current_phase: str | None = None

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def end_date(self) -> date:
        """The end the timeline draws: the actual end once closed, else the planned end
        (``engagements.queries.end_date_column``)."""
        return self.actual_end_date or self.planned_end_date


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


# ---------------------------------------------------------------- loading


def _filter_conditions(filters: TimelineFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.status is not None:
        conditions.append(Engagement.status == filters.status)
    if filters.member_id is not None:
        conditions.append(
            Engagement.id.in_(
                select(Assignment.engagement_id).where(
                    Assignment.staff_member_id == filters.member_id
                )
            )
        )
    if filters.sector is not None:
        conditions.append(Organisation.sector == filters.sector)
    if filters.district is not None:
        conditions.append(Organisation.district == filters.district)
    return conditions


def _engagement_ids(filters: TimelineFilters) -> Select[tuple[int]]:
    return (
        select(Engagement.id)
        .join(Organisation, Organisation.id == Engagement.organisation_id)
        .where(*_filter_conditions(filters))
    )


def _current_phase(engagement: TimelineEngagement, today: date) -> str | None:
    """``engagements.queries.current_phase`` over plain phases: none once closed; the last
    phase begun; while none has been, the phase whose planned dates contain ``today``."""
    if engagement.status in CLOSED_STATUSES:
        return None
    started = [(position, name) for position, name, *_dates, begun in engagement.phases if begun]
    if started:
        return max(started)[1]
    return next(
        (
            name
            for _position, name, start, end, _begun in engagement.phases
            if start <= today <= end
        ),
        None,
    )


def load_engagements(
    session: Session, *, today: date, filters: TimelineFilters
) -> list[TimelineEngagement]:
    """The engagements ``filters`` lets through, by start date and organisation name, each
    with its lead's name, phases (by position) and milestones (by due date), milestone
    states as of ``today`` and the current phase. Three statements.

    A milestone is overdue when it is open and due before ``today`` and its engagement is
    not closed (a cancelled engagement keeps open milestones, but nothing is late there).
    """
    lead = and_(Assignment.engagement_id == Engagement.id, Assignment.role == AssignmentRole.LEAD)
    statement = (
        select(
            Engagement.id,
            Organisation.name,
            Organisation.sector,
            Organisation.district,
            Engagement.status,
            Engagement.start_date,
            Engagement.planned_end_date,
            Engagement.actual_end_date,
            Engagement.status_changed_at,
            StaffMember.name,
        )
        .join(Organisation, Organisation.id == Engagement.organisation_id)
        .outerjoin(Assignment, lead)
        .outerjoin(StaffMember, StaffMember.id == Assignment.staff_member_id)
        .where(*_filter_conditions(filters))
        .order_by(Engagement.start_date, Organisation.name, Engagement.id)
    )
    engagements: dict[int, TimelineEngagement] = {}
    zone = clock.timezone()
    for row in session.execute(statement):
        changed_at: datetime = row[8]
        engagements[row[0]] = TimelineEngagement(
            id=row[0],
            organisation=row[1],
            sector=row[2],
            district=row[3],
            status=row[4],
            start_date=row[5],
            planned_end_date=row[6],
            actual_end_date=row[7],
            status_changed_on=changed_at.astimezone(zone).date(),
            lead_name=row[9],
        )
    if not engagements:
        return []
    ids = _engagement_ids(filters)
    # Table columns on the session's connection: plain Core rows, without the ORM's per-row
    # work (thousands of milestones).
    connection = session.connection()
    phase, milestone = Phase.__table__.c, Milestone.__table__.c
    phases = (
        select(
            phase.engagement_id,
            phase.position,
            phase.name,
            phase.start_date,
            phase.end_date,
            phase.started_on,
        )
        .where(phase.engagement_id.in_(ids))
        .order_by(phase.engagement_id, phase.position)
    )
    for chunk in connection.execute(phases).partitions(CHUNK_ROWS):
        for engagement_id, position, name, start, end, started_on in chunk:
            engagements[engagement_id].phases.append((position, name, start, end, started_on))
    milestones = (
        select(
            phase.engagement_id,
            milestone.title,
            milestone.due_date,
            milestone.baseline_due_date,
            milestone.status,
        )
        .join_from(Milestone.__table__, Phase.__table__, phase.id == milestone.phase_id)
        .where(phase.engagement_id.in_(ids))
        .order_by(
            phase.engagement_id,
            milestone.due_date,
            phase.position,
            milestone.sort_order,
            milestone.id,
        )
    )
    for chunk in connection.execute(milestones).partitions(CHUNK_ROWS):
        for engagement_id, title, due, baseline, status in chunk:
            engagement = engagements[engagement_id]
            state = _milestone_state(status, due, today, is_closed=engagement.is_closed)
            engagement.milestones.append(TimelineMilestone(title, due, baseline, status, state))
    result = list(engagements.values())
    for engagement in result:
        engagement.current_phase = _current_phase(engagement, today)
    return result


_SETTLED_STATES = {
    MilestoneStatus.ERLEDIGT: MilestoneState.DONE,
    MilestoneStatus.ENTFALLEN: MilestoneState.DROPPED,
}


def _milestone_state(
    status: MilestoneStatus, due: date, today: date, *, is_closed: bool
) -> MilestoneState:
    settled = _SETTLED_STATES.get(status)
    if settled is not None:
        return settled
    if due < today and not is_closed:
        return MilestoneState.OVERDUE
    return MilestoneState.OPEN


# ---------------------------------------------------------------- grouping


def group_engagements(
    engagements: list[TimelineEngagement], group_by: GroupBy
) -> list[tuple[str, list[TimelineEngagement]]]:
    """The engagements in labelled groups, each keeping the given order: by lead (by name,
    engagements without a lead last), by sector or by district (in the order of their lists).
    Empty groups are left out."""
    groups: dict[object, list[TimelineEngagement]] = {}
    if group_by is GroupBy.LEAD:
        for engagement in engagements:
            groups.setdefault(engagement.lead_name, []).append(engagement)
        names = sorted(
            (name for name in groups if isinstance(name, str)), key=lambda n: (n.lower(), n)
        )
        ordered: list[tuple[str, list[TimelineEngagement]]] = [
            (_("Federführung: %(name)s", name=name), groups[name]) for name in names
        ]
        if None in groups:
            ordered.append((_("Ohne Federführung"), groups[None]))
        return ordered
    if group_by is GroupBy.SECTOR:
        for engagement in engagements:
            groups.setdefault(engagement.sector, []).append(engagement)
        return [
            (_("Bereich: %(name)s", name=sector.label), groups[sector])
            for sector in Sector
            if sector in groups
        ]
    for engagement in engagements:
        groups.setdefault(engagement.district, []).append(engagement)
    return [
        (_("Bezirk: %(name)s", name=district.label), groups[district])
        for district in District
        if district in groups
    ]


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
