"""Key figures of the programme for a reporting period (the reports page and its exports).

What "in the period" means differs per figure and is part of each function's contract; the
page says the same in a note beside each table. Periods are whole calendar days in the
programme's time zone, both ends included. Every function runs one statement (aggregates,
or for engagements a narrow column select), whatever the amount of data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.database import count_by
from caseflow.engagements.models import (
    CLOSED_STATUSES,
    Activity,
    ActivityKind,
    Barrier,
    BarrierCategory,
    BarrierStatus,
    Engagement,
    EngagementStatus,
    Milestone,
    MilestoneStatus,
)
from caseflow.followups.models import FollowUp, FollowUpKind, FollowUpStatus
from caseflow.intake.models import Application, ApplicationStatus
from caseflow.organisations.choices import District, Sector
from caseflow.organisations.models import Organisation

# An average calendar month in days, for durations "in months" (365.25 / 12).
DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class ReportPeriod:
    """The days from ``start`` to ``end``, both included (``start`` ≤ ``end``)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"period starts {self.start} after it ends {self.end}")

    def contains(self, day: date) -> bool:
        """Whether ``day`` lies in the period."""
        return self.start <= day <= self.end

    @property
    def first_moment(self) -> datetime:
        """Local midnight at the start of the first day, as aware UTC."""
        return clock.start_of_day(self.start)

    @property
    def end_moment(self) -> datetime:
        """Local midnight after the last day (excluded), as aware UTC."""
        return clock.start_of_day(self.end + timedelta(days=1))


def duration_in_months_exact(first_day: date, last_day: date) -> float:
    """The length of ``first_day`` … ``last_day`` (both included) in average months of
    ``DAYS_PER_MONTH`` days, unrounded: 2025-01-01 … 2025-12-31 is 365 / 30.4375 = 11.99…
    (shown with one decimal as 12,0)."""
    return ((last_day - first_day).days + 1) / DAYS_PER_MONTH


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


# Applications ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationFigures:
    """Applications submitted in the period, by their status now, sector and district."""

    by_status: dict[ApplicationStatus, int]
    by_sector: dict[Sector, int]
    by_district: dict[District, int]

    @property
    def total(self) -> int:
        """All applications submitted in the period."""
        return sum(self.by_status.values())

    @property
    def decided(self) -> int:
        """Accepted plus declined. A waiting-list place is not a decision: the application may
        still be accepted, so it counts in neither part of the acceptance rate."""
        return (
            self.by_status[ApplicationStatus.ANGENOMMEN]
            + self.by_status[ApplicationStatus.ABGELEHNT]
        )

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted ÷ decided (0 … 1); None when nothing was decided."""
        if not self.decided:
            return None
        return self.by_status[ApplicationStatus.ANGENOMMEN] / self.decided


def application_figures(session: Session, period: ReportPeriod) -> ApplicationFigures:
    """Applications *submitted* in the period (local calendar days), counted by their status
    today, by sector and by district (every member present, zero included); one statement."""
    by_status = dict.fromkeys(ApplicationStatus, 0)
    by_sector = dict.fromkeys(Sector, 0)
    by_district = dict.fromkeys(District, 0)
    statement = (
        select(Application.status, Application.sector, Application.district, func.count())
        .where(
            Application.submitted_at >= period.first_moment,
            Application.submitted_at < period.end_moment,
        )
        .group_by(Application.status, Application.sector, Application.district)
    )
    for status, sector, district, count in session.execute(statement):
        by_status[status] += count
        by_sector[sector] += count
        by_district[district] += count
    return ApplicationFigures(by_status=by_status, by_sector=by_sector, by_district=by_district)


# Engagements -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EngagementFigures:
    """Engagements in the period; see ``engagement_figures`` for the definitions."""

    started: int
    active: int
    completed: int
    cancelled: int
    by_status: dict[EngagementStatus, int]
    planned_months: list[float] = field(default_factory=list)
    baseline_months: list[float] = field(default_factory=list)
    actual_months: list[float] = field(default_factory=list)

    @property
    def average_planned_months(self) -> float | None:
        """Mean current planned duration (to the planned end after any extension) of the
        engagements started in the period, or None."""
        return _mean(self.planned_months)

    @property
    def average_baseline_months(self) -> float | None:
        """Mean originally planned duration (to the baseline end, before any extension) of the
        engagements started in the period, or None."""
        return _mean(self.baseline_months)

    @property
    def average_actual_months(self) -> float | None:
        """Mean actual duration of the engagements completed in the period, or None."""
        return _mean(self.actual_months)


def has_begun(status: EngagementStatus, start: date, actual_end: date | None) -> bool:
    """Whether an engagement really ran: it left ``geplant``, and it was not closed before its
    start date. Cancelling a planned engagement (``geplant`` → ``abgebrochen``) sets the
    actual end to the cancellation day, which may lie before the start date: such an
    engagement never began. The dates decide, not the phases' ``started_on``, so that one
    narrow column select suffices."""
    if status is EngagementStatus.GEPLANT:
        return False
    return not (status in CLOSED_STATUSES and actual_end is not None and actual_end < start)


def engagement_figures(session: Session, period: ReportPeriod, *, today: date) -> EngagementFigures:
    """Engagements in the period.

    An engagement has *begun* when it really ran (``has_begun``: not ``geplant``, and not
    closed before its start date — a planned engagement cancelled early never began).

    - *started*: begun, with a start date in the period;
    - *active*: begun, and ran on at least one day of the period — from the start date to the
      actual end, or for running and paused ones to the planned end or today, whichever is
      later (an overrun still runs);
    - *completed* / *cancelled*: ``abgeschlossen`` / ``abgebrochen`` with the actual end in
      the period, by the actual end alone (begun or not);
    - ``by_status``: every engagement whose dates touch the period (planned ones by their
      planned dates, one that never began by its cancellation day), by its status today
      (every status present);
    - planned duration: start to current planned end (after extensions) and start to
      baseline end (as first planned) of those *started*; actual duration: start to actual
      end of those *completed* (cancelled ones would pull the mean down for a different
      reason), each in average months (``duration_in_months_exact``).

    One statement: the few date columns of the engagements that can touch the period.
    """
    statement = select(
        Engagement.status,
        Engagement.start_date,
        Engagement.planned_end_date,
        Engagement.baseline_end_date,
        Engagement.actual_end_date,
    ).where(
        # Closed before its start (never began): the cancellation day alone may be in the period.
        (Engagement.start_date <= period.end) | (Engagement.actual_end_date <= period.end),
        (Engagement.actual_end_date.is_(None)) | (Engagement.actual_end_date >= period.start),
    )
    by_status = dict.fromkeys(EngagementStatus, 0)
    started = active = completed = cancelled = 0
    planned_months: list[float] = []
    baseline_months: list[float] = []
    actual_months: list[float] = []
    for status, start, planned_end, baseline_end, actual_end in session.execute(statement):
        begun = has_begun(status, start, actual_end)
        if status in CLOSED_STATUSES:
            first_day, last_day = min(start, actual_end), actual_end
        elif status is EngagementStatus.GEPLANT:
            first_day, last_day = start, planned_end
        else:
            first_day, last_day = start, max(planned_end, today)
        if last_day < period.start or first_day > period.end:
            continue
        by_status[status] += 1
        if status is EngagementStatus.ABGEBROCHEN and period.contains(actual_end):
            cancelled += 1
        if status is EngagementStatus.ABGESCHLOSSEN and period.contains(actual_end):
            completed += 1
            if begun:
                actual_months.append(duration_in_months_exact(start, actual_end))
        if not begun:
            continue
        active += 1
        if period.contains(start):
            started += 1
            planned_months.append(duration_in_months_exact(start, planned_end))
            baseline_months.append(duration_in_months_exact(start, baseline_end))
    return EngagementFigures(
        started=started,
        active=active,
        completed=completed,
        cancelled=cancelled,
        by_status=by_status,
        planned_months=planned_months,
        baseline_months=baseline_months,
        actual_months=actual_months,
    )


# Milestones --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneFigures:
    """Milestones by state; ``overdue`` is the part of ``open`` due before today."""

    done: int
    open: int
    overdue: int
    dropped: int

    @property
    def total(self) -> int:
        """All milestones."""
        return self.done + self.open + self.dropped


def milestone_figures(session: Session, *, today: date, period: ReportPeriod) -> MilestoneFigures:
    """Milestones *due* in the period (current due date) by their state today: done, open,
    overdue (open and due before ``today``) and dropped; one statement."""
    status = Milestone.status
    statement = select(
        func.count(case((status == MilestoneStatus.ERLEDIGT, 1))),
        func.count(case((status == MilestoneStatus.OFFEN, 1))),
        func.count(case(((status == MilestoneStatus.OFFEN) & (Milestone.due_date < today), 1))),
        func.count(case((status == MilestoneStatus.ENTFALLEN, 1))),
    ).where(Milestone.due_date.between(period.start, period.end))
    done, open_, overdue, dropped = session.execute(statement).one()
    return MilestoneFigures(done=done, open=open_, overdue=overdue, dropped=dropped)


@dataclass(frozen=True)
class Punctuality:
    """Milestones completed in the period, on time or late against the current due date and
    against the baseline (the first planned date)."""

    on_time: int
    late: int
    on_time_baseline: int
    late_baseline: int

    @property
    def total(self) -> int:
        """All milestones completed in the period."""
        return self.on_time + self.late


def milestone_punctuality(session: Session, period: ReportPeriod) -> Punctuality:
    """Milestones *completed* in the period (``completed_on``): on time when completed on or
    before the current due date, late after it; the same against the baseline due date, which
    rescheduling never moves. One statement."""
    completed = Milestone.completed_on
    statement = select(
        func.count(case((completed <= Milestone.due_date, 1))),
        func.count(case((completed > Milestone.due_date, 1))),
        func.count(case((completed <= Milestone.baseline_due_date, 1))),
        func.count(case((completed > Milestone.baseline_due_date, 1))),
    ).where(
        Milestone.status == MilestoneStatus.ERLEDIGT,
        completed.between(period.start, period.end),
    )
    on_time, late, on_time_baseline, late_baseline = session.execute(statement).one()
    return Punctuality(
        on_time=on_time,
        late=late,
        on_time_baseline=on_time_baseline,
        late_baseline=late_baseline,
    )


# Activities, barriers, follow-ups, organisations ------------------------------------------


@dataclass(frozen=True)
class ActivityTotals:
    """Activities of one kind: how many, their minutes and participants (missing values 0)."""

    count: int = 0
    minutes: int = 0
    participants: int = 0

    @property
    def hours(self) -> float:
        """The minutes in hours."""
        return self.minutes / 60


def activity_figures(session: Session, period: ReportPeriod) -> dict[ActivityKind, ActivityTotals]:
    """Activities that *occurred* in the period, per kind (every kind present); one
    statement. Activities without a duration or a participant count add nothing to those."""
    totals = dict.fromkeys(ActivityKind, ActivityTotals())
    statement = (
        select(
            Activity.kind,
            func.count(Activity.id),
            func.coalesce(func.sum(Activity.duration_minutes), 0),
            func.coalesce(func.sum(Activity.participants_count), 0),
        )
        .where(Activity.occurred_on.between(period.start, period.end))
        .group_by(Activity.kind)
    )
    for kind, count, minutes, participants in session.execute(statement):
        totals[kind] = ActivityTotals(
            count=count, minutes=int(minutes), participants=int(participants)
        )
    return totals


@dataclass(frozen=True)
class BarrierMatrix:
    """Barriers per category and status."""

    counts: dict[BarrierCategory, dict[BarrierStatus, int]] = field(default_factory=dict)

    def row_total(self, category: BarrierCategory) -> int:
        """All barriers of one category."""
        return sum(self.counts[category].values())

    def column_total(self, status: BarrierStatus) -> int:
        """All barriers in one status."""
        return sum(row[status] for row in self.counts.values())

    @property
    def total(self) -> int:
        """All barriers."""
        return sum(self.row_total(category) for category in self.counts)


def barrier_matrix(session: Session, period: ReportPeriod) -> BarrierMatrix:
    """Barriers *identified* in the period, per category × their status today (every cell
    present); one statement."""
    counts = {category: dict.fromkeys(BarrierStatus, 0) for category in BarrierCategory}
    statement = (
        select(Barrier.category, Barrier.status, func.count(Barrier.id))
        .where(Barrier.identified_on.between(period.start, period.end))
        .group_by(Barrier.category, Barrier.status)
    )
    for category, status, count in session.execute(statement):
        counts[category][status] = count
    return BarrierMatrix(counts=counts)


def follow_ups_done(session: Session, period: ReportPeriod) -> dict[FollowUpKind, int]:
    """Follow-ups *completed* (status ``erledigt``, closed on a local day of the period), per
    kind (every kind present); one statement. Discarded ones are not work done."""
    counts = dict.fromkeys(FollowUpKind, 0)
    statement = (
        select(FollowUp.kind, func.count(FollowUp.id))
        .where(
            FollowUp.status == FollowUpStatus.ERLEDIGT,
            FollowUp.closed_at >= period.first_moment,
            FollowUp.closed_at < period.end_moment,
        )
        .group_by(FollowUp.kind)
    )
    for kind, count in session.execute(statement):
        counts[kind] = count
    return counts


def organisations_by_sector(session: Session) -> dict[Sector, int]:
    """How many organisations each sector has (zero included), whatever the period: the
    register as it stands; one statement."""
    return count_by(session, Organisation.sector, Sector)


@dataclass(frozen=True)
class ReportFigures:
    """Every figure of the report for one period, as of ``today``."""

    period: ReportPeriod
    today: date
    applications: ApplicationFigures
    engagements: EngagementFigures
    milestones: MilestoneFigures
    punctuality: Punctuality
    activities: dict[ActivityKind, ActivityTotals]
    barriers: BarrierMatrix
    follow_ups: dict[FollowUpKind, int]
    organisations: dict[Sector, int]


def report_figures(session: Session, period: ReportPeriod, *, today: date) -> ReportFigures:
    """All key figures for ``period``; eight statements, whatever the amount of data."""
    return ReportFigures(
        period=period,
        today=today,
        applications=application_figures(session, period),
        engagements=engagement_figures(session, period, today=today),
        milestones=milestone_figures(session, today=today, period=period),
        punctuality=milestone_punctuality(session, period),
        activities=activity_figures(session, period),
        barriers=barrier_matrix(session, period),
        follow_ups=follow_ups_done(session, period),
        organisations=organisations_by_sector(session),
    )
